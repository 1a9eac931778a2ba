package integration

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// foreignClient is another VB365 client of the simulator: an operator in
// the console (another account), or another tool with the worker's own.
// It speaks v5, so that faults armed on the worker's explore path (v8) do
// not hit it.
func foreignClient(t *testing.T, sim *testenv.Sim, user, password string) *vb365.Client {
	t.Helper()
	c, err := vb365.New(vb365.Config{BaseURL: sim.URL, Username: user, Password: password, CAFile: sim.CAFile, Version: vb365.V5})
	require.NoError(t, err)
	return c
}

// openForeign opens a session as c, for the point in time at (zero: now,
// the latest restore point).
func openForeign(t *testing.T, c *vb365.Client, typ vb365.SessionType, at time.Time) vb365.RestoreSession {
	t.Helper()
	if at.IsZero() {
		at = time.Now()
	}
	s, err := c.StartRestoreSession(context.Background(), seedOrg, vb365.ExploreRequest{DateTime: at, Type: typ})
	require.NoError(t, err)
	return *s
}

// requireUntouched holds foreign sessions to what they were: still Working.
func requireUntouched(t *testing.T, sim *testenv.Sim, foreign ...vb365.RestoreSession) {
	t.Helper()
	for _, f := range foreign {
		v, ok := testenv.SessionByID(sim, f.ID)
		require.True(t, ok)
		require.Equal(t, vb365.SessionStateWorking, v.State, "foreign session %s (%s, %s, by %s) was stopped", f.ID, f.Type, f.Name, v.CreatedBy)
	}
}

// claimOwner reads who holds a session's claim in Temporal.
func claimOwner(t *testing.T, sessionID string) string {
	t.Helper()
	desc, err := devServer.Client.DescribeWorkflow(context.Background(),
		workflows.SessionClaimWorkflowIDPrefix+strings.ToLower(sessionID), "")
	require.NoError(t, err, "no claim of session %s", sessionID)
	var owner string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(desc.RawResponse.GetWorkflowExecutionInfo().GetMemo().GetFields()["owner"], &owner))
	return owner
}

// Three worker processes on one task queue, twelve identical restores
// started at once, every create response lost, one worker SIGKILLed while
// they adopt: twelve sessions, each owned by exactly one workflow (as its
// report and its claim in Temporal say), none left open, and the sessions
// of others (another account, another type, another restore point)
// neither adopted nor stopped.
func TestReplicasKeepClaimsAcrossWorkers(t *testing.T) {
	t.Parallel()
	const n, replicas = 12, 3
	root, err := gomodule.Root()
	require.NoError(t, err)
	bin, err := testenv.BuildWorker(root, t.TempDir())
	require.NoError(t, err)
	sim, err := testenv.StartSim(vb365sim.Options{Users: map[string]string{"console": "console"}}, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	tq := "it-replicas"
	env := testenv.WorkerEnv(devServer, sim, "TEMPORAL_TASK_QUEUE="+tq)

	console := foreignClient(t, sim, "console", "console")
	tool := foreignClient(t, sim, "admin", "admin")
	foreign := []vb365.RestoreSession{
		openForeign(t, console, vb365.SessionTypeTeams, time.Time{}), // another account, identical otherwise
		openForeign(t, tool, vb365.SessionTypeExchange, time.Time{}), // our account, another type
	}

	workers := make([]*testenv.WorkerProcess, replicas)
	for i := range workers {
		workers[i], err = testenv.StartWorkerProcess(bin, env)
		require.NoError(t, err)
		w := workers[i]
		t.Cleanup(func() { _ = w.Terminate(30 * time.Second) })
	}
	// Slow too, so that the kill finds creations in flight.
	waitFor(t, long, "three workers polling", func() bool {
		d, err := devServer.Client.DescribeTaskQueue(context.Background(), tq, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		return err == nil && len(d.GetPollers()) >= replicas
	})
	sim.AddFault(fault(pathCreate, vb365sim.Fault{DropAfterCommit: true, DelayMs: 8000, Count: -1}))

	runs := make([]client.WorkflowRun, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: fmt.Sprintf("it-replicas-%02d-%d", i, time.Now().UnixNano()), TaskQueue: tq, WorkflowExecutionTimeout: 10 * time.Minute,
			}, workflows.RestoreSessionWorkflowName, input())
			if err == nil {
				runs[i] = r
			}
		})
	}
	wg.Wait()
	for i, r := range runs {
		require.NotNil(t, r, "restore %d not started", i)
	}

	ours := func() []vb365sim.SessionView {
		var out []vb365sim.SessionView
		for _, s := range sim.Sessions() {
			if s.CreatedBy == "admin" && s.Type == "Vet" {
				out = append(out, s)
			}
		}
		return out
	}
	// In the middle of it: every restore's first POST is in flight (the
	// killed worker's die with it, VB365 creates nothing for them).
	waitFor(t, long, "every first POST sent", func() bool {
		return sim.Stats().Requests["POST /v8/Organizations/{organizationId}/explore"] >= n
	})
	// Kill the worker running the most of these creations.
	creating := map[int]int{} // worker pid -> creations in flight
	for _, r := range runs {
		d, err := devServer.Client.DescribeWorkflow(context.Background(), r.GetID(), "")
		require.NoError(t, err)
		for _, a := range d.RawResponse.GetPendingActivities() {
			if a.GetActivityType().GetName() == activities.CreateRestoreSessionName {
				pid, _, _ := strings.Cut(a.GetLastWorkerIdentity(), "@")
				creating[atoi(pid)]++
			}
		}
	}
	victim := 0
	for i, w := range workers {
		if creating[w.Cmd.Process.Pid] > creating[workers[victim].Cmd.Process.Pid] {
			victim = i
		}
	}
	inFlight := creating[workers[victim].Cmd.Process.Pid]
	require.Positive(t, inFlight, "creations in flight per worker pid: %v", creating)
	workers[victim].Kill()
	t.Logf("worker %d SIGKILLed with %d creations in flight (per pid: %v), %d of %d sessions created", victim, inFlight, creating, len(ours()), n)
	// Meanwhile the operator opens sessions of the same organization: one
	// identical but for the account, one of our account at another restore
	// point.
	foreign = append(foreign,
		openForeign(t, console, vb365.SessionTypeTeams, time.Time{}),
		openForeign(t, tool, vb365.SessionTypeTeams, time.Date(2020, 10, 20, 23, 0, 0, 0, time.UTC)))

	owned := map[string]string{}
	waitFor(t, 2*long, "every restore with a session", func() bool {
		for _, r := range runs {
			if _, ok := owned[r.GetID()]; ok {
				continue
			}
			v, err := devServer.Client.QueryWorkflow(context.Background(), r.GetID(), "", workflows.QueryStatus)
			var st workflows.Status
			if err != nil || v.Get(&st) != nil || st.Session == nil || st.Session.ID == "" {
				return false
			}
			owned[r.GetID()] = st.Session.ID
		}
		return true
	})
	// None orphaned: every Working session of ours belongs to a restore.
	byWorkflow := map[string]string{}
	for wf, id := range owned {
		if other, ok := byWorkflow[id]; ok {
			t.Fatalf("restores %s and %s share session %s", other, wf, id)
		}
		byWorkflow[id] = wf
	}
	for _, s := range ours() {
		if s.State == vb365.SessionStateWorking && s.ID != foreign[3].ID {
			require.Contains(t, byWorkflow, s.ID, "session %s is open and nobody's", s.ID)
		}
	}
	for id, wf := range byWorkflow {
		require.Equal(t, wf, claimOwner(t, id), "the claim of session %s", id)
	}

	for _, r := range runs {
		signalStop(t, devServer.Client, r.GetID())
	}
	for _, r := range runs {
		rep, err := resultOf(t, r)
		require.NoError(t, err, "restore %s", r.GetID())
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, owned[r.GetID()], rep.Session.ID)
		require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
		require.NoError(t, testenv.CheckRecorded(sim, rep))
	}
	var sessions int
	for _, s := range ours() {
		if s.ID == foreign[3].ID {
			continue
		}
		sessions++
		require.Equal(t, vb365.SessionStateStopped, s.State, "session %s left open", s.ID)
	}
	require.Equal(t, n, sessions, "one session per restore, no more")
	adopted := 0
	for _, r := range runs {
		// A retried activity's started event carries its last attempt.
		if attempts := activityAttempts(historyOf(t, devServer.Client, r.GetID()))[activities.CreateRestoreSessionName]; slices.Max(attempts) > 1 {
			adopted++
		}
	}
	t.Logf("%d of %d restores needed more than one create attempt (the killed worker's)", adopted, n)
	require.GreaterOrEqual(t, adopted, inFlight, "the killed worker's creations were retried elsewhere")
	requireUntouched(t, sim, foreign...)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
