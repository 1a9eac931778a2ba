package playbook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Action counts told by the restore while it runs, and those of its final report.
var (
	unconfirmedProgressCounts = &workflows.ActionCounts{Total: 2, Succeeded: 1, Running: 1}
	unconfirmedReportCounts   = &workflows.ActionCounts{Total: 2, Succeeded: 1, Failed: 1}
)

// unconfirmedRestore stands in for a restore whose session VB365 never
// confirms Stopped: it tells the parent its session exists and its
// progress, waits for a stop, then fails SessionStopUnconfirmed with its
// report as the failure's details. Its SignalSessionEnded is lost: it sends
// none, so the playbook learns the end from the child's result alone.
func unconfirmedRestore(ctx workflow.Context, in workflows.RestoreInput) (workflows.RestoreReport, error) {
	if err := workflow.Sleep(ctx, 10*time.Second); err != nil {
		return workflows.RestoreReport{}, err
	}
	info := workflow.GetInfo(ctx)
	sessionID := "session-" + info.WorkflowExecution.ID
	ready := workflows.SessionReady{WorkflowID: info.WorkflowExecution.ID, SessionID: sessionID, SessionName: "Exchange restore",
		EffectivePointInTime: time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)}
	if err := workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", workflows.SignalSessionReady, ready).Get(ctx, nil); err != nil {
		return workflows.RestoreReport{}, err
	}
	progress := workflows.SessionProgress{WorkflowID: info.WorkflowExecution.ID, SessionID: sessionID, SessionState: "Working",
		ActionCounts: unconfirmedProgressCounts}
	_ = workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", workflows.SignalSessionProgress, progress).Get(ctx, nil)
	workflow.GetSignalChannel(ctx, workflows.SignalStop).Receive(ctx, nil)
	rep := workflows.RestoreReport{
		Session:      vb365.RestoreSession{ID: sessionID, Name: "Exchange restore", State: "Stopping"},
		EndReason:    workflows.EndReasonStopRequested,
		ActionCounts: unconfirmedReportCounts,
	}
	return workflows.RestoreReport{}, temporal.NewNonRetryableApplicationError(
		"restore session not confirmed Stopped", workflows.ErrSessionStopUnconfirmed, nil, rep)
}

// TestPlaybookRowTakesActionCountsFromAnUnconfirmedStopsReport: a restore
// that fails SessionStopUnconfirmed carries its report in the failure's
// details; when its end signal does not reach the playbook, the row takes
// the actions' final counts from that report (not the last progress), so
// the playbook's report and its totals show how the actions ended.
func TestPlaybookRowTakesActionCountsFromAnUnconfirmedStopsReport(t *testing.T) {
	env := newEnvWithChild(t, unconfirmedRestore)

	mailbox := func(target string) activities.RestoreAction {
		return activities.RestoreAction{Kind: "mailbox", Target: target}
	}
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vex", Actions: []activities.RestoreAction{
		mailbox("adelev@abc.onmicrosoft.com"), mailbox("alexw@abc.onmicrosoft.com")}})
	mid, rep := stopAfterAMinute(t, env, in)

	require.Equal(t, unconfirmedProgressCounts, mid.Rows[0].Actions, "while it runs, the progress signal's counts")
	row := rep.Rows[0]
	require.Equal(t, RowFailed, row.State)
	require.Equal(t, workflows.ErrSessionStopUnconfirmed, row.ErrorType)
	require.Equal(t, unconfirmedReportCounts, row.Actions, "the counts of the report in the failure's details")
	require.Equal(t, unconfirmedReportCounts, rep.ActionCounts)
}
