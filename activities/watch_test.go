package activities

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/vb365"
)

func TestIdleCeiling(t *testing.T) {
	for _, tt := range []struct {
		perMin float64
		poll   time.Duration
		want   time.Duration
	}{
		{0, 15 * time.Second, 2 * time.Minute},         // default: 1 request a minute, 2 a poll
		{1, 15 * time.Second, 2 * time.Minute},         // steady state: 2 requests per 2 minutes
		{4, 15 * time.Second, time.Minute},             // 4 a minute allows today's 4 poll intervals
		{8, 15 * time.Second, time.Minute},             // never shorter than 4 poll intervals
		{0.5, 15 * time.Second, 4 * time.Minute},       // a tighter budget waits longer
		{1, 2 * time.Minute, 8 * time.Minute},          // a long poll interval keeps its 4x
		{120, 10 * time.Millisecond, time.Second},      // tests' short intervals
		{1.0 / 720, 15 * time.Second, 24 * time.Hour},  // a poll a day
		{1.0 / 1440, 15 * time.Second, 24 * time.Hour}, // never less often than a poll a day
		{1e-10, 15 * time.Second, 24 * time.Hour},      // beyond a Duration's range
		{1e-10, 10 * time.Hour, 40 * time.Hour},        // a poll interval's 4x still holds
	} {
		a := New(Config{IdleRequestsPerMinute: tt.perMin})
		assert.Equal(t, tt.want, a.idleCeiling(tt.poll), "%g requests/min at poll %s", tt.perMin, tt.poll)
	}
}

// countingClient counts the session reads, the first of every poll, and
// notes which were background requests.
type countingClient struct {
	VB365API
	reads      atomic.Int32
	mu         sync.Mutex
	background []bool
}

func (c *countingClient) GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error) {
	c.reads.Add(1)
	c.mu.Lock()
	c.background = append(c.background, vb365.IsBackground(ctx))
	c.mu.Unlock()
	return c.VB365API.GetRestoreSession(ctx, id)
}

// TestIdlePollsAreBackground: a wait's first polls go to VB365 as ordinary
// requests, those after busyFor poll intervals without news as background
// ones.
func TestIdlePollsAreBackground(t *testing.T) {
	fe, id := openSession(t)
	cc := &countingClient{VB365API: fe}
	in := waitInput(id, 1, 0) // after the session's start event
	in.PollInterval, in.MaxWait = 100*time.Millisecond, 800*time.Millisecond
	_, err := runWaitOn(t, cc, in, newTestClock())
	require.NoError(t, err)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	// Polls at 0, 100, 300, 700 and 800 ms; busyFor poll intervals is 200 ms.
	assert.Equal(t, []bool{false, false, true, true, true}, cc.background)
}

// TestStopEndsLocalWaitAtOnce: a wait sleeping between polls ends as soon
// as a stop of its session runs on the same worker, with no news and no
// further poll, instead of polling on until a heartbeat brings the
// cancellation.
func TestStopEndsLocalWaitAtOnce(t *testing.T) {
	fe, id := openSession(t)
	cc := &countingClient{VB365API: fe}
	env, a := newEnv(t, cc)
	in := waitInput(id, 1, 0) // after the session's start event
	in.PollInterval, in.MaxWait = time.Hour, 2*time.Hour
	type result struct {
		res *SessionEventsResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := env.ExecuteActivity(a.WaitForSessionEvents, in)
		var res SessionEventsResult
		if err == nil {
			err = v.Get(&res)
		}
		done <- result{&res, err}
	}()
	require.Eventually(t, func() bool {
		a.waits.mu.Lock()
		defer a.waits.mu.Unlock()
		return cc.reads.Load() == 1 && len(a.waits.m[id]) == 1
	}, 10*time.Second, time.Millisecond, "the wait polled once and sleeps")

	var s testsuite.WorkflowTestSuite
	stopEnv := s.NewTestActivityEnvironment()
	stopEnv.RegisterActivity(a)
	_, err := stopEnv.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: id})
	require.NoError(t, err)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		assert.Empty(t, r.res.Events)
		assert.Nil(t, r.res.Session, "no news: the workflow abandoned this wait")
	case <-time.After(10 * time.Second):
		t.Fatal("the wait went on after its session was stopped on this worker")
	}
	assert.Equal(t, int32(2), cc.reads.Load(), "the wait's one poll and the stop's read-back")
	assert.Empty(t, a.waits.m, "the wait is no longer tracked")
}

func TestWaitMetrics(t *testing.T) {
	fe, id := openSession(t)
	for range 3 {
		fe.AppendEvent(id, "Success", "view")
	}
	reg := prometheus.NewRegistry()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Config{Client: fe, Metrics: vb365.NewMetrics(reg)})
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(a.WaitForSessionEvents, waitInput(id, 1, 0)) // after the start event
	require.NoError(t, err)
	_, err = env.ExecuteActivity(a.FetchSessionEvents, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: id, AfterOrder: 1, RecordedCount: 2}})
	require.NoError(t, err)
	got := map[string]float64{}
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	assert.Equal(t, 5.0, got["vb365_session_events_recorded_total"], "3 from the wait, 2 from the fetch")
	assert.Zero(t, got["vb365_open_sessions"], "no wait runs any more")
}
