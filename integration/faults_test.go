package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Paths of the VB365 calls the restore makes ("*": one segment, any version).
var (
	pathToken   = vb365sim.Fault{Method: "POST", Path: "/*/token"}
	pathOrg     = vb365sim.Fault{Method: "GET", Path: "/*/Organizations/*"}
	pathCreate  = vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore"}
	pathList    = vb365sim.Fault{Method: "GET", Path: "/*/RestoreSessions"}
	pathSession = vb365sim.Fault{Method: "GET", Path: "/*/RestoreSessions/*"}
	pathEvents  = vb365sim.Fault{Method: "GET", Path: "/*/RestoreSessions/*/Events"}
	pathStop    = vb365sim.Fault{Method: "POST", Path: "/*/RestoreSessions/*/Stop"}
)

func fault(at vb365sim.Fault, f vb365sim.Fault) vb365sim.Fault {
	f.Method, f.Path = at.Method, at.Path
	return f
}

// VB365 answers 500 or 503 on each call in turn, N times, then OK: the
// restore ends as asked, with one session, stopped, every event once.
func TestFaultMatrixServerErrors(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		at   vb365sim.Fault
	}{
		{"token", pathToken}, {"organization", pathOrg}, {"create", pathCreate},
		{"list", pathList}, {"session", pathSession}, {"events", pathEvents}, {"stop", pathStop},
	}
	for _, c := range calls {
		for _, f := range []vb365sim.Fault{
			{Status: 500, Count: 2},
			{Status: 503, Count: 3, RetryAfterSeconds: 1},
		} {
			t.Run(fmt.Sprintf("%s-%d-x%d", c.name, f.Status, f.Count), func(t *testing.T) {
				t.Parallel()
				s := newStack(t, vb365sim.Options{})
				s.sim.AddFault(fault(c.at, f))
				run := s.start(input())
				s.runAndStop(run, 1)
				require.Empty(t, s.sim.Faults(), "every injected fault was hit")
			})
		}
	}
}

// The create call's response is lost (VB365 created the session, the worker
// never heard): the next attempt adopts it, never POSTs a second one.
func TestFaultLostCreateResponse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		env    []string
		faults []vb365sim.Fault
		// leftOver is how many injected drops must remain unused: a second
		// POST would have consumed them.
		leftOver int
	}{
		{name: "once", faults: []vb365sim.Fault{fault(pathCreate, vb365sim.Fault{DropAfterCommit: true})}},
		{name: "twice-armed", faults: []vb365sim.Fault{fault(pathCreate, vb365sim.Fault{DropAfterCommit: true, Count: 2})}, leftOver: 1},
		{name: "v5-seed-action", env: []string{"VB365_API_VERSION=v5"},
			faults: []vb365sim.Fault{{Method: "POST", Path: "/v5/Organizations/*/action", DropAfterCommit: true}}},
		{name: "503s-around", faults: []vb365sim.Fault{
			fault(pathCreate, vb365sim.Fault{Status: 503}),
			fault(pathCreate, vb365sim.Fault{DropAfterCommit: true}),
			fault(pathSession, vb365sim.Fault{Status: 503, Count: 2}),
		}},
		{name: "list-lost-too", faults: []vb365sim.Fault{
			fault(pathList, vb365sim.Fault{DropAfterCommit: true, Count: 2}),
			fault(pathCreate, vb365sim.Fault{DropAfterCommit: true}),
		}},
		{name: "slow-then-lost", env: []string{"VB365_TIMEOUT=2s"}, faults: []vb365sim.Fault{
			fault(pathCreate, vb365sim.Fault{Status: 503}),
			fault(pathCreate, vb365sim.Fault{DelayMs: 1500, DropAfterCommit: true}),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{}, c.env...)
			for _, f := range c.faults {
				s.sim.AddFault(f)
			}
			run := s.start(input())
			rep := s.runAndStop(run, 1)
			require.True(t, rep.SessionAdopted, "the session whose response was lost is adopted")
			left := 0
			for _, f := range s.sim.Faults() {
				left += f.Count
			}
			require.Equal(t, c.leftOver, left, "faults left unused: %+v", s.sim.Faults())
		})
	}
}

// The stop call's response is lost: the retried stop is harmless.
func TestFaultLostStopResponse(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathStop, vb365sim.Fault{DropAfterCommit: true}))
	s.sim.AddFault(fault(pathEvents, vb365sim.Fault{DropAfterCommit: true}))
	s.runAndStop(s.start(input()), 1)
}

// VB365 slower than the client's timeout (VB365_TIMEOUT=5s) on each call.
// The timeout leaves an ordinary request of a loaded test machine (race
// detector, parallel tests) its time: a timeout of every attempt would
// stretch the backoff past the test's waits.
func TestFaultSlowVB365(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		at   vb365sim.Fault
		// slowLeft is how many slow answers remain unasked: the create
		// retried after its slow POST adopts the session that POST opened
		// and sends no second one.
		slowLeft int
	}{{"token", pathToken, 0}, {"organization", pathOrg, 0}, {"create", pathCreate, 1}, {"events", pathEvents, 0}, {"stop", pathStop, 0}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{}, "VB365_TIMEOUT=5s")
			// VB365 does the work, late: a client that gave up must not
			// open a second session for a create it thinks failed.
			s.sim.AddFault(fault(c.at, vb365sim.Fault{DelayMs: 7000, Count: 2}))
			s.runAndStop(s.start(input()), 1)
			left := 0
			for _, f := range s.sim.Faults() {
				left += f.Count
			}
			require.Equal(t, c.slowLeft, left, "slow answers left unasked")
		})
	}
}

// VB365 refuses connections for a while (before the session exists, and
// while it is polled, with events arriving meanwhile), then comes back.
func TestFaultConnectionRefused(t *testing.T) {
	t.Parallel()
	t.Run("before-create", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		s.sim.Pause()
		run := s.start(input())
		time.Sleep(4 * time.Second) // GetOrganization fails and is retried meanwhile
		require.Empty(t, s.sim.Sessions())
		require.NoError(t, s.sim.Resume())
		s.runAndStop(run, 1)
	})
	t.Run("while-polling", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		run := s.start(input())
		waitForEvents(t, run.GetID(), 2, long)
		s.sim.Pause()
		sess := sessionOf(t, s.sim, 1)
		appendEvents(t, s.sim, sess.ID, 3, "Warning")
		time.Sleep(6 * time.Second)
		require.NoError(t, s.sim.Resume())
		waitForEvents(t, run.GetID(), scriptedEvents+3, long)
		stopByUpdate(t, run.GetID())
		rep, err := resultOf(t, run)
		require.NoError(t, err)
		require.Equal(t, scriptedEvents+3+stopEvent, rep.EventCounts.Total)
		s.checkClean(1, rep)
	})
}

// The token expires again and again during a long session, and VB365
// answers 401 in the middle of polling: the client renews and carries on.
func TestFaultTokens(t *testing.T) {
	t.Parallel()
	t.Run("short-ttl", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{TokenTTL: 3 * time.Second})
		run := s.start(input())
		waitForEvents(t, run.GetID(), scriptedEvents, long)
		time.Sleep(4 * time.Second) // outlive one more token
		s.runAndStop(run, 1)
		st := s.sim.Stats()
		require.GreaterOrEqual(t, st.TokenLogins+st.TokenRefreshes, 3, "tokens were renewed: %+v", st)
	})
	t.Run("401-while-polling", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		run := s.start(input())
		waitForEvents(t, run.GetID(), 2, long)
		s.sim.AddFault(fault(pathEvents, vb365sim.Fault{Status: 401}))
		s.sim.AddFault(fault(pathSession, vb365sim.Fault{Status: 401}))
		s.runAndStop(run, 1)
		require.Empty(t, s.sim.Faults())
		st := s.sim.Stats()
		require.GreaterOrEqual(t, st.TokenLogins+st.TokenRefreshes, 2, "the 401 renewed the token: %+v", st)
	})
}

// Several restores of one organization lose their create responses at the
// same time: each adopts a session of its own; none is shared or left open.
func TestFaultLostCreateResponsesConcurrent(t *testing.T) {
	t.Parallel()
	const n = 4
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathCreate, vb365sim.Fault{DropAfterCommit: true, DelayMs: 300, Count: n}))
	var ids []string
	for range n {
		ids = append(ids, s.start(input()).GetID())
	}
	for _, id := range ids {
		waitForEvents(t, id, scriptedEvents, long)
		signalStop(t, devServer.Client, id)
	}
	seen := map[string]bool{}
	var reports []workflows.RestoreReport
	for _, id := range ids {
		rep, err := resultOf(t, devServer.Client.GetWorkflow(t.Context(), id, ""))
		require.NoError(t, err)
		require.True(t, rep.SessionAdopted)
		require.False(t, seen[rep.Session.ID], "session %s adopted twice", rep.Session.ID)
		seen[rep.Session.ID] = true
		reports = append(reports, rep)
	}
	s.checkClean(n, reports...)
}
