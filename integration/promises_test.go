package integration

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// The README's promises under VB365 behaviours that break them when the
// workflow is careless: stops that do not take, sessions the server stops
// when idle, a stop update racing a cancel.

// newStackWith is newStack with the restore workflow's bounds lowered
// (worker options, not input fields) so that a bound is reached in seconds.
func newStackWith(t *testing.T, simOpts vb365sim.Options, wfOpts workflows.Options, extraEnv ...string) *stack {
	t.Helper()
	sim, err := testenv.StartSim(simOpts, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	s := &stack{t: t, sim: sim, taskQueue: "it-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))}
	s.env = testenv.WorkerEnv(devServer, sim, append([]string{"TEMPORAL_TASK_QUEUE=" + s.taskQueue}, extraEnv...)...)
	w, err := testenv.StartWorkerWith(s.env, wfOpts)
	require.NoError(t, err)
	s.worker = w
	t.Cleanup(func() {
		if err := w.Stop(); err != nil {
			t.Errorf("worker stop: %v", err)
		}
	})
	return s
}

// Case 4: VB365 ignores two stops, then takes 20 s to stop the session. The
// workflow keeps stopping it (with backoff) until it reads Stopped, records
// every event up to the end, and the report says Stopped.
func TestPromiseStopThatDoesNotTake(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{
		StopDelay: new(vb365sim.Duration(20 * time.Second)), StopIgnored: new(2)}})
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	stopByUpdate(t, run.GetID())
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
	require.Empty(t, rep.StopUnconfirmed)
	s.checkClean(1, rep)
	stops := activityAttempts(historyOf(t, devServer.Client, run.GetID()))["StopRestoreSession"]
	require.Len(t, stops, 1)
	require.Greater(t, stops[0], int32(3), "the stop was retried until VB365 confirmed it")
}

// Case 4, the bound: VB365 accepts every stop and never stops the session.
// After Options.StopConfirmBound the workflow fails SessionStopUnconfirmed,
// with the report (the events it could read, which ones may be missing) in
// the failure's details: never stop-requested with a Working session.
func TestPromiseStopNeverConfirmed(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{StopIgnored: new(1_000_000)}},
		workflows.Options{StopConfirmBound: 8 * time.Second})
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop,
		workflows.StopRequest{RequestedBy: t.Name()}))
	_, err := resultOf(t, run)
	appErr := namedError(t, err)
	require.Equal(t, workflows.ErrSessionStopUnconfirmed, appErr.Type(), "got %v", err)
	require.Contains(t, appErr.Error(), "may be missing")
	var rep workflows.RestoreReport
	require.NoError(t, appErr.Details(&rep), "the failure carries the report")
	require.Equal(t, vb365.SessionStateWorking, rep.Session.State, "the report says the session is still open")
	require.NotEmpty(t, rep.StopUnconfirmed)
	require.Contains(t, rep.FinalEventsError, "may be missing")
	events, err := s.sim.Events(rep.Session.ID)
	require.NoError(t, err)
	require.Equal(t, len(events), rep.EventCounts.Total, "every event VB365 had was recorded")
	require.Len(t, testenv.WorkingSessions(s.sim), 1, "VB365 really left it open")
	require.NoError(t, s.sim.StopSession(rep.Session.ID))
}

// Case 8: the server stops a session nobody touched for its idle timeout
// (the poll interval is longer): the workflow ends stopped-in-vb365 with
// every event, and the report says so.
func TestPromiseIdleSessionStoppedByServer(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{IdleTimeout: new(vb365sim.Duration(3 * time.Second))}})
	in := input()
	in.PollInterval = "5s"
	run := s.start(in)
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Equal(t, workflows.EndReasonStoppedInVB365, rep.EndReason)
	require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
	require.NotZero(t, rep.EventCounts.Total)
	s.checkClean(1, rep)
	require.NotContains(t, activityAttempts(historyOf(t, devServer.Client, run.GetID())), "StopRestoreSession", "the server stopped it, not the workflow")
}

// Case 11: a stop update is waiting (the stop call is slow) when the
// workflow is cancelled: the update answers with the stopped session once
// it is stopped, not "canceled" before.
func TestPromiseStopUpdateDuringCancel(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathStop, vb365sim.Fault{DelayMs: 3000}))
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	h, err := devServer.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageAccepted,
		Args: []any{workflows.StopRequest{Reason: "integration test", RequestedBy: t.Name()}},
	})
	require.NoError(t, err)
	waitFor(t, long, "the stop call in flight", func() bool { return s.sim.Stats().FaultsInjected > 0 })
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	var sess vb365.RestoreSession
	require.NoError(t, h.Get(context.Background(), &sess), "the update answers, not canceled")
	require.Equal(t, vb365.SessionStateStopped, sess.State)
	view, ok := testenv.SessionByID(s.sim, sess.ID)
	require.True(t, ok)
	require.Equal(t, vb365.SessionStateStopped, view.State)
	_, err = resultOf(t, run)
	var ce *sdktemporal.CanceledError
	require.True(t, errors.As(err, &ce), "the workflow ends cancelled, got %v", err)
	require.Empty(t, testenv.WorkingSessions(s.sim))
}

// Case 11: a cancel before the session is created (while the organization
// is read; the search-attribute check that follows is a local activity the
// unit tests cancel) creates no session.
func TestPromiseCancelBeforeCreationCreatesNoSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathOrg, vb365sim.Fault{DelayMs: 2000}))
	run := s.start(input())
	waitFor(t, long, "the organization read in flight", func() bool { return s.sim.Stats().FaultsInjected > 0 })
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	_, err := resultOf(t, run)
	var ce *sdktemporal.CanceledError
	require.True(t, errors.As(err, &ce), "got %v", err)
	time.Sleep(3 * time.Second) // a creation would have happened by now
	require.Empty(t, s.sim.Sessions())
}

// Case 9: a playbook started with raw JSON (as the Web UI, the CLI or
// another SDK would send it) whose restore entries have an unknown field
// and a value of the wrong JSON type: those rows fail InvalidRequest naming
// the field, no session is opened for them, the good one runs.
func TestPromisePlaybookStrictRestoreEntries(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	raw := `{"name": "drill", "restores": [
		{"organizationId": "` + seedOrg + `", "type": "vet", "pollInterval": "1s", "pointInTme": "2020-10-30T10:29:05Z"},
		{"organizationId": "` + seedOrg + `", "type": "vex", "pollInterval": "1s", "showDeleted": "yes"},
		{"organizationId": "` + seedOrg + `", "type": "veod", "pollInterval": "1s"}]}`
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &in))
	run, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "it-playbook-" + uuid.NewString(), TaskQueue: s.taskQueue, WorkflowExecutionTimeout: 10 * time.Minute,
	}, playbook.WorkflowName, in)
	require.NoError(t, err)
	waitFor(t, long, "the good restore open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Counts[playbook.RowOpen] == 1
	})
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop, workflows.StopRequest{}))
	var rep playbook.Report
	require.NoError(t, run.Get(context.Background(), &rep))
	for i, field := range []string{"restores[0].pointInTme", "restores[1].showDeleted"} {
		require.Equal(t, playbook.RowFailed, rep.Rows[i].State, field)
		require.Equal(t, workflows.ErrInvalidRequest, rep.Rows[i].ErrorType, field)
		require.Contains(t, rep.Rows[i].Error, field)
	}
	require.Equal(t, playbook.RowDone, rep.Rows[2].State)
	require.Len(t, s.sim.Sessions(), 1, "no session for a refused entry")
	require.Empty(t, testenv.WorkingSessions(s.sim))
}
