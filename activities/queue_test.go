package activities

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// budgetSim is the simulator (v8, the default account) behind a real client whose worker budget
// admits 10 requests a second: every request after the first waits 100ms, five
// heartbeat intervals of fastHeartbeats.
func budgetSim(t *testing.T) (*vb365sim.Simulator, *vb365.Client) {
	t.Helper()
	sim := vb365sim.New(vb365sim.Options{Versions: []string{"v8"}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	b, err := vb365.NewBudget(vb365.BudgetOptions{MaxRate: 10})
	require.NoError(t, err)
	c, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: "admin", Budget: b})
	require.NoError(t, err)
	return sim, c
}

// fastHeartbeats makes a's queued activities and creates heartbeat every
// 20ms.
func fastHeartbeats(a *Activities) {
	a.queueHeartbeatEvery = 20 * time.Millisecond
	a.postHeartbeatEvery = 20 * time.Millisecond
}

// waitings collects the Waiting field of every heartbeat the activity
// environment receives, decoded into a fresh T.
func waitings[T any](env *testsuite.TestActivityEnvironment, waiting func(T) string) func() []string {
	var mu sync.Mutex
	var got []string
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var v T
		if d.Get(&v) == nil {
			mu.Lock()
			got = append(got, waiting(v))
			mu.Unlock()
		}
	})
	return func() []string { mu.Lock(); defer mu.Unlock(); return got }
}

func saysBudget(reasons []string) bool {
	for _, r := range reasons {
		if strings.Contains(r, "VB365 request rate budget") {
			return true
		}
	}
	return false
}

// Every activity whose VB365 requests can wait for the worker's budget
// heartbeats while they wait, and says why in its details: a wait longer
// than the heartbeat timeout must not time the attempt out.
func TestActivitiesHeartbeatWhileWaitingForTheBudget(t *testing.T) {
	t.Run("GetOrganization", func(t *testing.T) {
		_, c := budgetSim(t)
		env, a := newEnv(t, c)
		fastHeartbeats(a)
		got := waitings(env, func(p QueueProgress) string { return p.Waiting })
		_, err := env.ExecuteActivity(a.GetOrganization, orgID)
		require.NoError(t, err)
		require.True(t, saysBudget(got()), "heartbeats while waiting: %q", got())
	})
	t.Run("CreateRestoreSession", func(t *testing.T) {
		_, c := budgetSim(t)
		env, a := newEnv(t, c)
		fastHeartbeats(a)
		direct(a)
		got := waitings(env, func(p CreateProgress) string { return p.Waiting })
		_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
		require.NoError(t, err)
		require.True(t, saysBudget(got()), "heartbeats while waiting: %q", got())
	})
	t.Run("StopRestoreSession", func(t *testing.T) {
		_, c := budgetSim(t)
		s := startSession(t, c)
		env, a := newEnv(t, c)
		fastHeartbeats(a)
		got := waitings(env, func(p QueueProgress) string { return p.Waiting })
		_, err := env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: s})
		require.NoError(t, err)
		require.True(t, saysBudget(got()), "heartbeats while waiting: %q", got())
	})
	t.Run("FetchSessionEvents", func(t *testing.T) {
		_, c := budgetSim(t)
		s := startSession(t, c)
		env, a := newEnv(t, c)
		fastHeartbeats(a)
		got := waitings(env, func(p QueueProgress) string { return p.Waiting })
		_, err := env.ExecuteActivity(a.FetchSessionEvents, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: s}})
		require.NoError(t, err)
		require.True(t, saysBudget(got()), "heartbeats while waiting: %q", got())
	})
}

func startSession(t *testing.T, c *vb365.Client) string {
	t.Helper()
	s, err := c.StartRestoreSession(context.Background(), orgID, vb365.ExploreRequest{DateTime: createInput().DateTime, Type: vb365.SessionTypeTeams})
	require.NoError(t, err)
	return s.ID
}

// heartbeatClient records the heartbeats sent straight to the server.
type heartbeatClient struct {
	client.Client
	mu   sync.Mutex
	sent []CreateProgress
}

func (h *heartbeatClient) RecordActivityHeartbeatWithOptions(_ context.Context, o client.RecordActivityHeartbeatOptions) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, o.Details[0].(CreateProgress))
	return nil
}

// direct makes a send its direct heartbeats to a heartbeatClient (the test
// environment's client is a mock).
func direct(a *Activities) *heartbeatClient {
	hc := &heartbeatClient{}
	a.activityClient = func(context.Context) client.Client { return hc }
	return hc
}

func (h *heartbeatClient) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.sent) }

// slowList answers the snapshot's list after a delay, as a list that waited
// for the VB365 budget.
type slowList struct {
	*fakevb365.Client
	delay time.Duration
}

func (s slowList) ListRestoreSessions(ctx context.Context, o vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	time.Sleep(s.delay)
	return s.Client.ListRestoreSessions(ctx, o)
}

// Once an attempt has heartbeated (its snapshot waited), the SDK may hold
// the pre-POST heartbeat back: the progress then goes straight to the
// server before the POST, so that a crash right after the POST still leaves
// the record that it was sent. An attempt that has not heartbeated yet
// relies on the SDK sending its first heartbeat at once, and costs nothing
// more.
func TestCreateRecordsItsProgressBeforeThePostWhenHeartbeatsMayBeHeld(t *testing.T) {
	for _, tc := range []struct {
		delay  time.Duration
		direct int
	}{{0, 0}, {200 * time.Millisecond, 1}} {
		t.Run(tc.delay.String(), func(t *testing.T) {
			var hc *heartbeatClient
			f := newFake()
			sentBeforePost := -1
			c := beforePost{Client: f, hook: func() { sentBeforePost = hc.count() }}
			env, a := newEnv(t, slowListBeforePost{slowList: slowList{Client: f, delay: tc.delay}, post: c})
			fastHeartbeats(a)
			hc = direct(a)
			_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
			require.NoError(t, err)
			require.Equal(t, tc.direct, sentBeforePost, "progress sent straight to the server before the POST")
			if tc.direct > 0 {
				require.Equal(t, 1, hc.sent[0].Posts)
				require.False(t, hc.sent[0].SendTime.IsZero())
			}
		})
	}
}

// slowListBeforePost is slowList for lists and beforePost for the POST.
type slowListBeforePost struct {
	slowList
	post beforePost
}

func (s slowListBeforePost) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	return s.post.StartRestoreSession(ctx, orgID, req)
}
