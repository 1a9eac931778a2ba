package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// The worker process is SIGKILLed while polling; events arrive while it is
// down; a new worker process resumes and records them all, once, in order.
func TestCrashWorkerKilledWhilePolling(t *testing.T) {
	t.Parallel()
	root, err := gomodule.Root()
	require.NoError(t, err)
	bin, err := testenv.BuildWorker(root, t.TempDir())
	require.NoError(t, err)
	sim, err := testenv.StartSim(vb365sim.Options{}, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	tq := "it-crash-kill"
	env := testenv.WorkerEnv(devServer, sim, "TEMPORAL_TASK_QUEUE="+tq)

	first, err := testenv.StartWorkerProcess(bin, env)
	require.NoError(t, err)
	run := startOn(t, devServer.Client, tq, input())
	waitForEvents(t, run.GetID(), 3, long)
	first.Kill()

	sess := sessionOf(t, sim, 1)
	appendEvents(t, sim, sess.ID, 4, "Success")
	time.Sleep(2 * time.Second)

	second, err := testenv.StartWorkerProcess(bin, env)
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.Terminate(30 * time.Second) })
	waitForEvents(t, run.GetID(), scriptedEvents+4, long)
	signalStop(t, devServer.Client, run.GetID())
	rep, err := resultOf(t, run)
	require.NoError(t, err, "worker logs:\n%s", second.Logs())
	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Len(t, sim.Sessions(), 1)
	require.Empty(t, testenv.WorkingSessions(sim))
	require.NoError(t, testenv.CheckRecorded(sim, rep))
}

// The Temporal server is restarted (same database file) while sessions are
// open; the workflows carry on and record the events that came meanwhile.
func TestCrashTemporalRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	own, err := testenv.StartTemporal(ctx, filepath.Join(t.TempDir(), "temporal.db"))
	require.NoError(t, err)
	t.Cleanup(own.Stop)
	sim, err := testenv.StartSim(vb365sim.Options{}, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	tq := "it-crash-restart"
	w, err := testenv.StartWorker(testenv.WorkerEnv(own, sim, "TEMPORAL_TASK_QUEUE="+tq))
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Stop() })

	const n = 3
	query := func(id string) (workflows.Status, error) {
		v, err := own.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
		if err != nil {
			return workflows.Status{}, err
		}
		var st workflows.Status
		return st, v.Get(&st)
	}
	waitRecorded := func(id string, count int) {
		waitFor(t, long, fmt.Sprintf("%d events recorded by %s", count, id), func() bool {
			st, err := query(id)
			return err == nil && st.EventCounts.Total >= count
		})
	}
	var ids []string
	for range n {
		ids = append(ids, startOn(t, own.Client, tq, input()).GetID())
	}
	for _, id := range ids {
		waitRecorded(id, 2)
	}
	require.NoError(t, own.Restart(ctx, 2*time.Second))
	sessions := sim.Sessions()
	require.Len(t, sessions, n)
	for _, s := range sessions {
		appendEvents(t, sim, s.ID, 2, "Warning")
	}
	for _, id := range ids {
		waitRecorded(id, scriptedEvents+2)
		signalStop(t, own.Client, id)
	}
	for _, id := range ids {
		rctx, rcancel := context.WithTimeout(context.Background(), long)
		var rep workflows.RestoreReport
		require.NoError(t, own.Client.GetWorkflow(rctx, id, "").Get(rctx, &rep))
		rcancel()
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.NoError(t, testenv.CheckRecorded(sim, rep))
	}
	require.Len(t, sim.Sessions(), n)
	require.Empty(t, testenv.WorkingSessions(sim))
}
