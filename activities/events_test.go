package activities

import (
	"context"
	"slices"
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

func runWait(t *testing.T, c VB365API, in WaitForSessionEventsInput) (*SessionEventsResult, error) {
	t.Helper()
	env, a := newEnv(t, c)
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
	require.Len(t, res.Events, 3)
	for i, e := range res.Events {
		require.Equal(t, int32(i), e.Order)
	}

	// From the cursor after them, only what comes later.
	go func() { time.Sleep(50 * time.Millisecond); fe.AppendEvent(id, "Warning", "restore") }()
	res, err = runWait(t, fe, waitInput(id, 3, 2))
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.Equal(t, int32(3), res.Events[0].Order)
	require.Equal(t, "Warning", res.Events[0].Status)
}

func TestWaitReturnsWhenStopped(t *testing.T) {
	fe, id := openSession(t)
	go func() { time.Sleep(50 * time.Millisecond); fe.StopInVB365(id) }()
	res, err := runWait(t, fe, waitInput(id, 0, -1))
	require.NoError(t, err)
	require.Empty(t, res.Events)
	require.Equal(t, vb365.SessionStateStopped, res.Session.State)
}

func TestWaitReturnsAtMaxWait(t *testing.T) {
	fe, id := openSession(t)
	in := waitInput(id, 0, -1)
	in.MaxWait = 150 * time.Millisecond
	counter := &pollCounter{Client: fe.Client}
	res, err := runWait(t, counter, in)
	require.NoError(t, err)
	// The "no news" result: nothing new, the session as it was, after
	// polling more than once (it waited instead of returning at once).
	require.Empty(t, res.Events)
	require.False(t, res.Missing)
	require.Equal(t, vb365.SessionStateWorking, res.Session.State)
	require.Greater(t, res.Polls, 1)
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

func TestWaitRidesOutTransientErrors(t *testing.T) {
	fe, id := openSession(t)
	fe.AppendEvent(id, "Success", "view")
	fe.FailPolls(2)
	res, err := runWait(t, fe, waitInput(id, 0, -1))
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.GreaterOrEqual(t, res.Polls, 3)
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
	require.Len(t, res.Events, 4)
	require.Equal(t, int32(1), res.Events[0].Order)
	require.Equal(t, int32(4), res.Events[3].Order)
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
