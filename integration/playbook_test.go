package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

const seedOrg = "3c424478-0811-4920-8aab-01f0bf2a2822"

func (s *stack) startPlaybook(in playbook.Input) client.WorkflowRun {
	s.t.Helper()
	run, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "it-playbook-" + uuid.NewString(), TaskQueue: s.taskQueue, WorkflowExecutionTimeout: 10 * time.Minute,
	}, playbook.WorkflowName, in)
	require.NoError(s.t, err)
	return run
}

// checkPlaybookRows holds every started row of a playbook to the simulator's
// ground truth with the same check as a single restore: each child's own
// report (its result, or the details of its cancellation) passes
// CheckRecorded, and the row agrees with it.
func checkPlaybookRows(t *testing.T, s *stack, rep playbook.Report) {
	t.Helper()
	checked := 0
	for _, row := range rep.Rows {
		if row.SessionID == "" {
			continue
		}
		var rr workflows.RestoreReport
		err := devServer.Client.GetWorkflow(context.Background(), row.WorkflowID, "").Get(context.Background(), &rr)
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) {
			require.NoError(t, canceled.Details(&rr), "row %d: a cancelled restore carries its report", row.Index)
		} else {
			require.NoError(t, err, "row %d", row.Index)
		}
		require.NoError(t, testenv.CheckRecorded(s.sim, rr), "row %d", row.Index)
		require.Equal(t, rr.Session.ID, row.SessionID, "row %d", row.Index)
		if row.State == playbook.RowDone {
			require.Equal(t, rr.EventCounts.Total, row.EventCounts.Total, "row %d", row.Index)
			require.NotNil(t, row.EffectivePointInTime, "row %d", row.Index)
			require.True(t, rr.EffectivePointInTime.Equal(*row.EffectivePointInTime), "row %d", row.Index)
		}
		checked++
	}
	require.NotZero(t, checked, "no row to check")
}

func playbookStatus(t *testing.T, id string) (playbook.Report, error) {
	v, err := devServer.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	if err != nil {
		return playbook.Report{}, err
	}
	var rep playbook.Report
	return rep, v.Get(&rep)
}

// Three restores (two workloads of the seed organization, one of another)
// with maxConcurrent 2: all open, status shows each row live, one stop ends
// them all, and every session is stopped in VB365.
func TestPlaybookThreeRestoresOneStop(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	run := s.startPlaybook(playbook.Input{Name: "drill", MaxConcurrent: 2, Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PointInTime: "2020-10-30T10:54:40.2794046Z", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "vex", PointInTime: "2020-10-30 10:00:00", PollInterval: "1s"},
		{OrganizationID: vb365sim.RecentOrganizationID, Type: "veod", PollInterval: "1s"},
	}})

	var open playbook.Report
	waitFor(t, 2*time.Minute, "three open sessions with events", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		if err != nil || rep.Counts[playbook.RowOpen] != 3 {
			return false
		}
		for _, r := range rep.Rows {
			if r.EventCounts.Total == 0 {
				return false
			}
		}
		open = rep
		return true
	})
	for _, r := range open.Rows {
		require.NotEmpty(t, r.SessionID, "row %d", r.Index)
		require.Equal(t, "Working", r.SessionState, "row %d", r.Index)
		require.NotNil(t, r.EffectivePointInTime, "row %d", r.Index)
	}
	require.Len(t, testenv.WorkingSessions(s.sim), 3)

	h, err := devServer.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.StopRequest{Reason: "drill over"}},
	})
	require.NoError(t, err)
	var afterStop playbook.Report
	require.NoError(t, h.Get(context.Background(), &afterStop))
	require.Equal(t, 3, afterStop.Counts[playbook.RowDone], "the stop update answers once every session is stopped")

	var rep playbook.Report
	require.NoError(t, run.Get(context.Background(), &rep))
	require.Equal(t, 3, rep.Counts[playbook.RowDone])
	for _, r := range rep.Rows {
		require.Equal(t, "Stopped", r.SessionState, "row %d", r.Index)
		require.Equal(t, workflows.EndReasonStopRequested, r.EndReason)
	}
	require.Equal(t, run.GetID()+"/"+seedOrg+"/vet", rep.Rows[0].WorkflowID, "deterministic child ids")
	require.Len(t, s.sim.Sessions(), 3)
	checkPlaybookRows(t, s, rep)
	require.Empty(t, testenv.WorkingSessions(s.sim))
}

// One restore fails validation (before the first backup): the others run,
// and the failure is reported with its error type.
func TestPlaybookOneInvalidRestore(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	run := s.startPlaybook(playbook.Input{Name: "drill", Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PointInTime: "2001-01-01T00:00:00Z"},
		{OrganizationID: seedOrg, Type: "vex", PollInterval: "1s"},
	}})
	waitFor(t, time.Minute, "the valid restore open, the invalid one failed", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Counts[playbook.RowOpen] == 1 && rep.Counts[playbook.RowFailed] == 1
	})
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop, workflows.StopRequest{}))
	var rep playbook.Report
	require.NoError(t, run.Get(context.Background(), &rep))
	require.Equal(t, playbook.RowFailed, rep.Rows[0].State)
	require.Equal(t, workflows.ErrPointInTimeBeforeFirstBackup, rep.Rows[0].ErrorType)
	require.Equal(t, playbook.RowDone, rep.Rows[1].State)
	require.Len(t, s.sim.Sessions(), 1, "no session for the invalid restore")
	require.Empty(t, testenv.WorkingSessions(s.sim))
	checkPlaybookRows(t, s, rep)
}

// Cancelling the playbook cancels its children, which stop their sessions.
func TestPlaybookCancellation(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	run := s.startPlaybook(playbook.Input{Name: "drill", Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "vex", PollInterval: "1s"},
	}})
	waitFor(t, time.Minute, "both sessions open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Counts[playbook.RowOpen] == 2
	})
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	err := run.Get(context.Background(), nil)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled)
	require.Len(t, s.sim.Sessions(), 2)
	require.Empty(t, testenv.WorkingSessions(s.sim), "cancelled children stopped their sessions")
	// The cancelled playbook's rows name no session (it does not read the
	// children's reports from their cancellation), so each child is checked
	// by its deterministic id.
	for _, typ := range []string{"vet", "vex"} {
		var rr workflows.RestoreReport
		err := devServer.Client.GetWorkflow(context.Background(), run.GetID()+"/"+seedOrg+"/"+typ, "").Get(context.Background(), &rr)
		var childCanceled *temporal.CanceledError
		require.ErrorAs(t, err, &childCanceled, typ)
		require.NoError(t, childCanceled.Details(&rr), typ)
		require.NoError(t, testenv.CheckRecorded(s.sim, rr), typ)
	}
}
