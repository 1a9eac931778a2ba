package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Case 1: VB365's clock 3 minutes behind or ahead of the worker's, its
// zone-less times in Europe/Berlin (the worker told so): the session of a
// lost create response is still adopted; one session, no second POST.
func TestAdoptUnderClockSkewAndServerZone(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{-3 * time.Minute, 3 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{
				ClockSkew: new(vb365sim.Duration(skew)), TimeZone: new("Europe/Berlin")}},
				"VB365_SERVER_TIME_ZONE=Europe/Berlin")
			s.sim.AddFault(fault(pathCreate, vb365sim.Fault{DropAfterCommit: true}))
			rep := s.runAndStopAmong(s.start(input()))
			s.checkClean(1, rep)
			require.True(t, rep.SessionAdopted, "the lost response's session is adopted")
			require.Empty(t, s.sim.Faults())
			require.Equal(t, 1, s.sim.Stats().Requests["POST /v8/Organizations/{organizationId}/explore"], "one POST")
		})
	}
}

// Case 2: while our create fails and is retried, others open sessions of
// the same organization: an operator with another account (identical
// otherwise), a tool with our account at another restore point or of
// another type, and another restore workflow (identical) whose POST is
// answered. Ours is adopted; none of theirs is adopted or stopped; the
// other workflow keeps its own. With "lookup-503-first", the first
// attempt's pre-create lookup fails before anything is recorded.
func TestAdoptNeverTakesSomeoneElsesSession(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name        string
		lookupFails bool
	}{{"lost-response", false}, {"lookup-503-first", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{Users: map[string]string{"console": "console"}})
			console := foreignClient(t, s.sim, "console", "console")
			tool := foreignClient(t, s.sim, "admin", "admin")
			if c.lookupFails {
				s.sim.AddFault(fault(pathList, vb365sim.Fault{Status: 503}))
			}
			// Our POST is slow, then its response is lost: the others act
			// between our snapshot and our session.
			s.sim.AddFault(fault(pathCreate, vb365sim.Fault{DropAfterCommit: true, DelayMs: 6000}))
			run := s.start(input())
			waitFor(t, long, "our POST in flight", func() bool {
				return s.sim.Stats().Requests["POST /v8/Organizations/{organizationId}/explore"] >= 1
			})
			foreign := []vb365.RestoreSession{
				openForeign(t, console, vb365.SessionTypeTeams, time.Time{}),
				openForeign(t, tool, vb365.SessionTypeTeams, time.Date(2020, 10, 20, 23, 0, 0, 0, time.UTC)),
				openForeign(t, tool, vb365.SessionTypeExchange, time.Time{}),
			}
			other := s.start(input()) // its POST is answered: the fault was used by ours
			rep, otherRep := s.runAndStopAmong(run), s.runAndStopAmong(other)
			require.Len(t, s.sim.Sessions(), 2+len(foreign))
			require.True(t, rep.SessionAdopted)
			require.False(t, otherRep.SessionAdopted)
			require.NotEqual(t, rep.Session.ID, otherRep.Session.ID)
			for _, f := range foreign {
				require.NotEqual(t, f.ID, rep.Session.ID)
				require.NotEqual(t, f.ID, otherRep.Session.ID)
			}
			require.Equal(t, run.GetID(), claimOwner(t, rep.Session.ID))
			require.Equal(t, other.GetID(), claimOwner(t, otherRep.Session.ID))
			requireUntouched(t, s.sim, foreign...)
			require.Empty(t, s.sim.Faults())
		})
	}
}

// Case 3: VB365 takes 70 s to answer the explore POST, longer than the
// create activity's heartbeat timeout (1 min), inside VB365_TIMEOUT (90 s):
// the attempt heartbeats while the POST is in flight, so there is one
// attempt, one POST, one session, none orphaned.
func TestAdoptSlowPostKeepsOneAttempt(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{}, "VB365_TIMEOUT=90s")
	s.sim.AddFault(fault(pathCreate, vb365sim.Fault{DelayMs: 70000}))
	run := s.start(input())
	rep := s.runAndStopAmong(run)
	s.checkClean(1, rep)
	require.False(t, rep.SessionAdopted)
	require.Equal(t, []int32{1}, activityAttempts(historyOf(t, devServer.Client, run.GetID()))[activities.CreateRestoreSessionName],
		"one attempt of the creation")
	require.Equal(t, 1, s.sim.Stats().Requests["POST /v8/Organizations/{organizationId}/explore"])
	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
}

// runAndStopAmong is runAndStop where others' sessions stay open: it checks
// the restore's own session and events only.
func (s *stack) runAndStopAmong(run client.WorkflowRun) workflows.RestoreReport {
	s.t.Helper()
	waitForEvents(s.t, run.GetID(), scriptedEvents, long)
	stopByUpdate(s.t, run.GetID())
	rep, err := resultOf(s.t, run)
	require.NoError(s.t, err)
	require.Equal(s.t, workflows.EndReasonStopRequested, rep.EndReason)
	require.NoError(s.t, testenv.CheckRecorded(s.sim, rep))
	return rep
}
