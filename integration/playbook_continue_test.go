package integration

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// playbookEventsPerRun is the small bound that makes the playbook continue
// as new every few seconds while its children's progress signals arrive.
const playbookEventsPerRun = 40

// TestPlaybookContinuesAsNewWhileChildrenOpen: a
// playbook whose children stay open continues as new 2+ times (small
// EventsPerRun, children reporting progress every second); the status of
// the latest run keeps every row and session; one stop update sent to the
// latest run stops every child started by the first run; no session is
// left open; every run's history stays near the bound.
func TestPlaybookContinuesAsNewWhileChildrenOpen(t *testing.T) {
	s := newStackWith(t, vb365sim.Options{Scenario: testenv.SteadyScenario(120, 500*time.Millisecond)},
		workflows.Options{ProgressInterval: time.Second, PlaybookEventsPerRun: playbookEventsPerRun})
	run := s.startPlaybook(playbook.Input{Name: "days", MaxConcurrent: 3, Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "vex", PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "veod", PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"},
	}})

	var first playbook.Report
	waitFor(t, time.Minute, "three open sessions", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		first = rep
		return err == nil && rep.Counts[playbook.RowOpen] == 3
	})
	var later playbook.Report
	waitFor(t, 2*time.Minute, "two continue-as-new with the children open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		later = rep
		return err == nil && rep.Runs >= 2
	})
	require.Equal(t, 3, later.Counts[playbook.RowOpen], "rows kept across runs: %+v", later.Rows)
	for i, row := range later.Rows {
		require.Equal(t, first.Rows[i].SessionID, row.SessionID, "row %d keeps its session", i)
		require.Equal(t, first.Rows[i].WorkflowID, row.WorkflowID, "row %d keeps its child", i)
		require.GreaterOrEqual(t, row.EventCounts.Total, first.Rows[i].EventCounts.Total, "row %d", i)
	}
	require.Len(t, testenv.WorkingSessions(s.sim), 3, "the children outlive the playbook's runs")

	h, err := devServer.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.StopRequest{Reason: "drill over"}},
	})
	require.NoError(t, err)
	var answer playbook.Report
	require.NoError(t, h.Get(context.Background(), &answer))
	require.Equal(t, 3, answer.Counts[playbook.RowDone], "the stop update answers once every session is stopped: %+v", answer.Rows)

	var rep playbook.Report
	require.NoError(t, devServer.Client.GetWorkflow(context.Background(), run.GetID(), "").Get(context.Background(), &rep))
	require.True(t, rep.StopRequested)
	require.GreaterOrEqual(t, rep.Runs, 2)
	for _, row := range rep.Rows {
		require.Equal(t, playbook.RowDone, row.State, "row %d", row.Index)
		require.Equal(t, workflows.EndReasonStopRequested, row.EndReason, "row %d", row.Index)
		require.Equal(t, "Stopped", row.SessionState, "row %d", row.Index)
	}
	require.Empty(t, testenv.WorkingSessions(s.sim), "no session left open")
	require.Len(t, s.sim.Sessions(), 3, "one session per restore across every run")

	// Every run's history: near the bound (a workflow task may bring a few
	// signals at once), each continued run ended continued-as-new.
	runs := playbookRuns(t, run.GetID())
	require.GreaterOrEqual(t, len(runs), 3)
	for i, id := range runs {
		hist, err := testenv.History(context.Background(), devServer.Client, run.GetID(), id)
		require.NoError(t, err)
		n := len(hist.Events)
		t.Logf("run %d: %d history events", i+1, n)
		last := hist.Events[n-1].GetEventType()
		if i < len(runs)-1 {
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, last, "run %d", i+1)
			require.LessOrEqual(t, n, playbookEventsPerRun+20, "run %d", i+1)
		}
	}
}

// playbookRuns lists the run ids of workflow id, first run first.
func playbookRuns(t *testing.T, id string) []string {
	t.Helper()
	resp, err := devServer.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: "WorkflowId = '" + id + "'"})
	require.NoError(t, err)
	execs := resp.Executions
	sort.Slice(execs, func(i, j int) bool { return execs[i].StartTime.AsTime().Before(execs[j].StartTime.AsTime()) })
	var runs []string
	for _, e := range execs {
		runs = append(runs, e.Execution.RunId)
	}
	return runs
}

// TestPlaybookCancelAfterContinueAsNew: cancelling a playbook that continued
// as new cancels the children its first run started (by id); each stops its
// session and says so by signal; the playbook ends canceled with every row
// canceled and no session open.
func TestPlaybookCancelAfterContinueAsNew(t *testing.T) {
	s := newStackWith(t, vb365sim.Options{Scenario: testenv.SteadyScenario(120, 500*time.Millisecond)},
		workflows.Options{ProgressInterval: time.Second, PlaybookEventsPerRun: playbookEventsPerRun})
	run := s.startPlaybook(playbook.Input{Name: "days", Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "vex", PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"},
	}})
	waitFor(t, 2*time.Minute, "a continue-as-new with both sessions open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Runs >= 1 && rep.Counts[playbook.RowOpen] == 2
	})
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	var canceled *temporal.CanceledError
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.ErrorAs(t, devServer.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, nil), &canceled)
	rep, err := playbookStatus(t, run.GetID())
	require.NoError(t, err)
	for _, row := range rep.Rows {
		require.Equal(t, playbook.RowCanceled, row.State, "row %d", row.Index)
		require.Equal(t, "Stopped", row.SessionState, "row %d", row.Index)
	}
	require.Empty(t, testenv.WorkingSessions(s.sim), "no session left open")
	require.Len(t, s.sim.Sessions(), 2)
}
