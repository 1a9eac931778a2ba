package integration

import (
	"context"
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

func playbookStatus(t *testing.T, id string) (playbook.Report, error) {
	v, err := devServer.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	if err != nil {
		return playbook.Report{}, err
	}
	var rep playbook.Report
	return rep, v.Get(&rep)
}

// Three restores (two workloads of the seed's organization, one of another)
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
}
