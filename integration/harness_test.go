package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// stack is one test's simulator and worker on the shared Temporal server,
// on a task queue of its own so tests never take each other's tasks.
type stack struct {
	t         *testing.T
	sim       *testenv.Sim
	worker    *testenv.Worker
	taskQueue string
	env       []string
	wfOpts    workflows.Options // the restore workflow's bounds, for every worker start
}

func newStack(t *testing.T, simOpts vb365sim.Options, extraEnv ...string) *stack {
	t.Helper()
	return newStackWith(t, simOpts, workflows.Options{}, extraEnv...)
}

// newStackWith is newStack with the restore workflow's bounds lowered
// (worker options, not input fields) so that a bound is reached in seconds.
func newStackWith(t *testing.T, simOpts vb365sim.Options, wfOpts workflows.Options, extraEnv ...string) *stack {
	t.Helper()
	sim, err := testenv.StartSim(simOpts, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	s := &stack{t: t, sim: sim, taskQueue: "it-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), wfOpts: wfOpts}
	s.env = testenv.WorkerEnv(devServer, sim, append([]string{"TEMPORAL_TASK_QUEUE=" + s.taskQueue}, extraEnv...)...)
	s.startWorker()
	return s
}

func (s *stack) startWorker() {
	s.t.Helper()
	w, err := testenv.StartWorkerWith(s.env, s.wfOpts)
	require.NoError(s.t, err)
	s.worker = w
	s.t.Cleanup(func() {
		if err := w.Stop(); err != nil {
			s.t.Errorf("worker stop: %v", err)
		}
		if s.t.Failed() {
			s.t.Logf("the worker's last log lines:\n%s", lastLines(w.Logs(), workerLogLines))
		}
	})
}

// workerLogLines is how much of a worker's log a failed test shows.
const workerLogLines = 80

// lastLines is the end of a log: its last n lines.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// start starts a restore workflow and returns its id.
func (s *stack) start(in workflows.RestoreInput) client.WorkflowRun {
	s.t.Helper()
	run, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                       "it-" + uuid.NewString(),
		TaskQueue:                s.taskQueue,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.RestoreSessionWorkflowName, in)
	require.NoError(s.t, err)
	return run
}

// status queries the restore workflow's status.
func status(t *testing.T, id string) workflows.Status {
	t.Helper()
	v, err := devServer.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	require.NoError(t, err)
	var st workflows.Status
	require.NoError(t, v.Get(&st))
	return st
}

// waitFor polls cond every 200ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitForEvents waits until the workflow has recorded at least n events.
// A timeout says where the workflow was: its last status and its pending
// activities with their attempts and last failures.
func waitForEvents(t *testing.T, id string, n int, timeout time.Duration) workflows.Status {
	t.Helper()
	var (
		st       workflows.Status
		queryErr error
	)
	deadline := time.Now().Add(timeout)
	for {
		v, err := devServer.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
		if queryErr = err; err == nil {
			queryErr = v.Get(&st)
		}
		if queryErr == nil && st.EventCounts.Total >= n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %d events recorded by %s: %s", timeout, n, id, whereIs(id, st, queryErr))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// whereIs describes a workflow that a test waited for in vain.
func whereIs(id string, st workflows.Status, queryErr error) string {
	var b strings.Builder
	if queryErr != nil {
		fmt.Fprintf(&b, "status query failed: %v; ", queryErr)
	}
	fmt.Fprintf(&b, "phase %q, %d events", st.Phase, st.EventCounts.Total)
	if st.Session != nil {
		fmt.Fprintf(&b, ", session %s %s", st.Session.ID, st.Session.State)
	}
	desc, err := devServer.Client.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		fmt.Fprintf(&b, "; describe failed: %v", err)
		return b.String()
	}
	d := desc.RawResponse
	fmt.Fprintf(&b, "; workflow %s, history length %d", d.GetWorkflowExecutionInfo().GetStatus(), d.GetWorkflowExecutionInfo().GetHistoryLength())
	for _, a := range d.GetPendingActivities() {
		fmt.Fprintf(&b, "; pending %s: %s, attempt %d, last failure %q", a.GetActivityType().GetName(), a.GetState(), a.GetAttempt(), a.GetLastFailure().GetMessage())
	}
	return b.String()
}

// stopByUpdate stops the restore with the stop update and returns the final session state.
func stopByUpdate(t *testing.T, id string) {
	t.Helper()
	h, err := devServer.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.StopRequest{Reason: "integration test", RequestedBy: t.Name()}},
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(context.Background(), nil))
}

// result waits for the workflow's report.
func result(t *testing.T, run client.WorkflowRun) workflows.RestoreReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var rep workflows.RestoreReport
	require.NoError(t, run.Get(ctx, &rep))
	return rep
}

// checkClean asserts the promises every case keeps: the expected number of
// sessions, none left open, every event recorded once and in order.
func (s *stack) checkClean(wantSessions int, reports ...workflows.RestoreReport) {
	s.t.Helper()
	require.Len(s.t, s.sim.Sessions(), wantSessions, "VB365 sessions created")
	require.Empty(s.t, testenv.WorkingSessions(s.sim), "sessions left open")
	for _, rep := range reports {
		require.NoError(s.t, testenv.CheckRecorded(s.sim, rep))
	}
}
