package activities

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"

	"github.com/vb365-restore/vb365-restore/vb365"
)

func openSession(t *testing.T) (*fakeEnv, string) {
	f := newFake()
	s := f.AddSession(orgID, vb365.SessionTypeTeams, time.Now())
	return &fakeEnv{f}, s.ID
}

type fakeEnv struct{ *fakevb365.Client }

func waitInput(id string, count int, after int32) WaitForSessionEventsInput {
	return WaitForSessionEventsInput{SessionCursor: SessionCursor{SessionID: id, RecordedCount: count, AfterOrder: after},
		KnownState: vb365.SessionStateWorking, PollInterval: 10 * time.Millisecond, MaxWait: 2 * time.Second}
}

// runWait runs one wait on a testClock of its own.
func runWait(t *testing.T, c VB365API, in WaitForSessionEventsInput) (*SessionEventsResult, error) {
	t.Helper()
	return runWaitOn(t, c, in, newTestClock())
}

// runWaitOn runs one wait on clock.
func runWaitOn(t *testing.T, c VB365API, in WaitForSessionEventsInput, clock *testClock) (*SessionEventsResult, error) {
	t.Helper()
	env, a := newEnv(t, c)
	clock.install(a)
	v, err := env.ExecuteActivity(a.WaitForSessionEvents, in)
	if err != nil {
		return nil, err
	}
	var res SessionEventsResult
	require.NoError(t, v.Get(&res))
	return &res, nil
}

func TestWaitReturnsNewEventsInOrderOnce(t *testing.T) {
	fe, id := openSession(t)
	for i := range 3 {
		fe.AppendEvent(id, "Success", "view "+string(rune('a'+i)))
	}
	res, err := runWait(t, fe, waitInput(id, 0, -1))
	require.NoError(t, err)
	require.Len(t, res.Events, 4, "the session's start event, then the three")
	require.Equal(t, "Restore session started", res.Events[0].Message)
	for i, e := range res.Events {
		require.Equal(t, int32(i), e.Order)
	}

	// From the cursor after them, only what comes later: an event added
	// 50 ms into the wait is seen by the poll at 70 ms (polls at 0, 10, 30
	// and 70 ms: the pause doubles while nothing happens).
	clock := newTestClock()
	clock.At(50*time.Millisecond, func() { fe.AppendEvent(id, "Warning", "restore") })
	res, err = runWaitOn(t, fe, waitInput(id, 4, 3), clock)
	require.NoError(t, err)
	require.Equal(t, 70*time.Millisecond, clock.Elapsed())
	require.Equal(t, 4, res.Polls)
	require.Len(t, res.Events, 1)
	require.Equal(t, int32(4), res.Events[0].Order)
	require.Equal(t, "Warning", res.Events[0].Status)
}

func TestWaitReturnsWhenStopped(t *testing.T) {
	fe, id := openSession(t)
	clock := newTestClock()
	clock.At(50*time.Millisecond, func() { fe.StopInVB365(id) })
	res, err := runWaitOn(t, fe, waitInput(id, 1, 0), clock)
	require.NoError(t, err)
	require.Equal(t, 70*time.Millisecond, clock.Elapsed(), "the first poll after the stop returns")
	require.Len(t, res.Events, 1)
	require.Equal(t, "Restore session stopped", res.Events[0].Message)
	require.Equal(t, vb365.SessionStateStopped, res.Session.State)
}

// TestWaitReturnsAtMaxWait: a wait without news polls at the poll interval,
// doubles the pause after each poll without news, cuts the last pause short
// at MaxWait, polls once more then and returns "no news" exactly at MaxWait.
func TestWaitReturnsAtMaxWait(t *testing.T) {
	fe, id := openSession(t)
	in := waitInput(id, 1, 0) // after the start event
	in.MaxWait = 150 * time.Millisecond
	counter := &pollCounter{Client: fe.Client}
	clock := newTestClock()
	res, err := runWaitOn(t, counter, in, clock)
	require.NoError(t, err)
	// The "no news" result: nothing new, the session as it was.
	require.Empty(t, res.Events)
	require.False(t, res.Missing)
	require.Equal(t, vb365.SessionStateWorking, res.Session.State)
	ms := time.Millisecond
	require.Equal(t, []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms}, clock.Sleeps(), "polls at 0, 10, 30, 70 and 150 ms")
	require.Equal(t, in.MaxWait, clock.Elapsed())
	require.Equal(t, 5, res.Polls)
	require.Equal(t, int(counter.polls.Load()), res.Polls, "every poll counted")
}

// pollCounter counts the session reads a wait makes (one per poll).
type pollCounter struct {
	*fakevb365.Client
	polls atomic.Int32
}

func (p *pollCounter) GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error) {
	p.polls.Add(1)
	return p.Client.GetRestoreSession(ctx, id)
}

// TestWaitRidesOutTransientErrors: a poll that fails transiently is
// repeated after the poll interval, not a growing pause (the session is not
// known to be idle), until one succeeds.
func TestWaitRidesOutTransientErrors(t *testing.T) {
	fe, id := openSession(t)
	fe.AppendEvent(id, "Success", "view")
	fe.FailPolls(2)
	clock := newTestClock()
	res, err := runWaitOn(t, fe, waitInput(id, 1, 0), clock)
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.Equal(t, 3, res.Polls)
	require.Equal(t, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}, clock.Sleeps())
}

func TestWaitMissingSession(t *testing.T) {
	fe, _ := openSession(t)
	res, err := runWait(t, fe, waitInput("00000000-0000-0000-0000-000000000000", 0, -1))
	require.NoError(t, err)
	require.True(t, res.Missing)
}

func TestFetchSessionEventsPages(t *testing.T) {
	fe, id := openSession(t)
	fe.PageSize = 2
	for range 5 {
		fe.AppendEvent(id, "Success", "x")
	}
	env, a := newEnv(t, fe)
	v, err := env.ExecuteActivity(a.FetchSessionEvents, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: id, RecordedCount: 1, AfterOrder: 0}})
	require.NoError(t, err)
	var res SessionEventsResult
	require.NoError(t, v.Get(&res))
	require.Len(t, res.Events, 5)
	require.Equal(t, int32(1), res.Events[0].Order)
	require.Equal(t, int32(5), res.Events[4].Order)
	require.False(t, res.More)
}

func TestNewEventsFiltersSortsDedupes(t *testing.T) {
	in := []vb365.RestoreSessionEvent{{Order: 3}, {Order: 1}, {Order: 2}, {Order: 3}, {Order: 0}}
	got := newEvents(in, 0)
	require.Equal(t, []int32{1, 2, 3}, []int32{got[0].Order, got[1].Order, got[2].Order})
	require.Len(t, got, 3)
}

func TestStopRestoreSession(t *testing.T) {
	fe, id := openSession(t)
	env, a := newEnv(t, fe)
	v, err := env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: id})
	require.NoError(t, err)
	var res StopRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, vb365.SessionStateStopped, res.Session.State)

	// Again: idempotent. Unknown: counts as stopped.
	_, err = env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: id})
	require.NoError(t, err)
	v, err = env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: "00000000-0000-0000-0000-000000000000"})
	require.NoError(t, err)
	require.NoError(t, v.Get(&res))
	require.True(t, res.Missing)
}

// A stop VB365 accepts but does not carry out fails the attempt retryably,
// so the retry policy stops it again; the next stop that takes succeeds.
func TestStopNotTakenIsRetryable(t *testing.T) {
	fe, id := openSession(t)
	fe.IgnoreStops(1)
	env, a := newEnv(t, fe)
	_, err := env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: id})
	ae := appErr(t, err)
	require.Equal(t, ErrTypeSessionNotStopped, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), `state "Working"`)

	v, err := env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: id})
	require.NoError(t, err)
	var res StopRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, vb365.SessionStateStopped, res.Session.State)
}

func TestSettledPrefixHoldsBackRunningEvents(t *testing.T) {
	e := func(order int32, status string) vb365.RestoreSessionEvent {
		return vb365.RestoreSessionEvent{Order: order, Status: status}
	}
	cases := []struct {
		name    string
		events  []vb365.RestoreSessionEvent
		stopped bool
		want    []int32
	}{
		{"all final", []vb365.RestoreSessionEvent{e(1, "Success"), e(2, "Failed")}, false, []int32{1, 2}},
		{"running holds back the rest", []vb365.RestoreSessionEvent{e(1, "Success"), e(2, "Running"), e(3, "Success")}, false, []int32{1}},
		{"first running", []vb365.RestoreSessionEvent{e(1, "Running"), e(2, "Success")}, false, []int32{}},
		{"stopped session takes all", []vb365.RestoreSessionEvent{e(1, "Running"), e(2, "Success")}, true, []int32{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := []int32{}
			for _, ev := range settledPrefix(c.events, c.stopped) {
				got = append(got, ev.Order)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// eventServer lists a session's events the ways VB365 may: numbered from
// any first order, with gaps, newest first; a page is at most pageSize.
type eventServer struct {
	*fakeEnv
	mu          sync.Mutex
	sessionID   string
	orders      []int32 // in the order the server lists them
	pageSize    int
	newestFirst bool
}

func (e *eventServer) add(orders ...int32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.newestFirst {
		for _, o := range orders {
			e.orders = append([]int32{o}, e.orders...)
		}
		return
	}
	e.orders = append(e.orders, orders...)
}

func (e *eventServer) ListRestoreSessionEvents(_ context.Context, id string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	limit := min(opts.Limit, e.pageSize)
	off := min(opts.Offset, len(e.orders))
	end := min(off+limit, len(e.orders))
	p := &vb365.Page[vb365.RestoreSessionEvent]{Offset: off, Limit: limit, HasNext: end < len(e.orders)}
	for _, o := range e.orders[off:end] {
		p.Results = append(p.Results, vb365.RestoreSessionEvent{ID: fmt.Sprint("e", o), Order: o, Status: "Success", Message: "m"})
	}
	return p, nil
}

// record polls as the workflow does, moving the cursor over what each poll
// returned, until a poll returns nothing new; it returns the orders recorded.
func record(t *testing.T, c VB365API, cur *SessionCursor) []int32 {
	t.Helper()
	var got []int32
	for range 100 {
		res, err := pollOnce(context.Background(), c, *cur, 4)
		require.NoError(t, err)
		for _, e := range res.Events {
			require.Greater(t, e.Order, cur.AfterOrder, "in order, each once")
			cur.AfterOrder = e.Order
			got = append(got, e.Order)
		}
		cur.RecordedCount += len(res.Events)
		if len(res.Events) == 0 && !res.More {
			return got
		}
	}
	t.Fatal("the reader never settled")
	return nil
}

func seq(from, n int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = from + int32(i)
	}
	return out
}

// The reader records every event once and in order whatever the first
// order (VB365 opens with order 0 "Restore session started"; older examples
// start at 1), with gaps in the numbering, on a list newest first, and while
// events are added between polls.
func TestEventReaderAnyOrderAndNumbering(t *testing.T) {
	tests := []struct {
		name        string
		first, more []int32
		newestFirst bool
	}{
		{name: "from 0", first: seq(0, 10), more: seq(10, 7)},
		{name: "from 1", first: seq(1, 10), more: seq(11, 7)},
		{name: "gaps", first: []int32{0, 1, 2, 5, 6, 9, 10, 11, 12}, more: []int32{20, 21, 30}},
		{name: "newest first", first: seq(0, 10), more: seq(10, 7), newestFirst: true},
		{name: "newest first from 1 with gaps", first: []int32{1, 2, 4, 8, 9, 10}, more: []int32{12, 13, 14, 15, 16, 17}, newestFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe, id := openSession(t)
			srv := &eventServer{fakeEnv: fe, sessionID: id, pageSize: 3, newestFirst: tt.newestFirst}
			srv.add(tt.first...)
			cur := SessionCursor{SessionID: id, AfterOrder: -1}
			got := record(t, srv, &cur)
			require.Equal(t, tt.first, got)

			srv.add(tt.more...)
			got = record(t, srv, &cur)
			require.Equal(t, tt.more, got)
			require.Empty(t, record(t, srv, &cur), "nothing twice")
		})
	}
}
