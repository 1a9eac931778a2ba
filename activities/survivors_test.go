package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// listLog is a session whose events are listed by order, numbered from 0
// without gaps, that records every page read (offset and limit): the tests
// here hold the reads of the event list to the ones the cursor calls for.
type listLog struct {
	VB365API
	state  string
	events []vb365.RestoreSessionEvent
	mu     sync.Mutex
	reads  []vb365.ListOptions
}

func newListLog(n int, status func(order int) string) *listLog {
	l := &listLog{state: vb365.SessionStateWorking}
	for i := range n {
		l.events = append(l.events, vb365.RestoreSessionEvent{Order: int32(i), Status: status(i)})
	}
	return l
}

func (l *listLog) GetRestoreSession(_ context.Context, id string) (*vb365.RestoreSession, error) {
	return &vb365.RestoreSession{ID: id, State: l.state}, nil
}

func (l *listLog) ListRestoreSessionEvents(_ context.Context, _ string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	l.mu.Lock()
	l.reads = append(l.reads, opts)
	l.mu.Unlock()
	off := min(opts.Offset, len(l.events))
	end := len(l.events)
	if opts.Limit > 0 {
		end = min(end, off+opts.Limit)
	}
	return &vb365.Page[vb365.RestoreSessionEvent]{Offset: off, Limit: opts.Limit, Results: l.events[off:end], HasNext: end < len(l.events)}, nil
}

func allSuccess(int) string { return "Success" }

// TestPendingNowReadsTheSpanOfThePendingOffsets: the pending events are read
// again in one page from the lowest of their offsets to the highest (both
// included), whatever order they are named in, an offset 0 included; when
// one offset is unknown (-1), or the span is a scan page or more, the whole
// list is read instead.
func TestPendingNowReadsTheSpanOfThePendingOffsets(t *testing.T) {
	full := func(n int) []vb365.ListOptions {
		var r []vb365.ListOptions
		for off := 0; ; off += scanPageSize - 1 {
			r = append(r, vb365.ListOptions{Offset: off, Limit: scanPageSize})
			if off+scanPageSize >= n {
				return r
			}
		}
	}
	for _, tc := range []struct {
		name    string
		pending []PendingRef
		want    []vb365.ListOptions
	}{
		{"descending", []PendingRef{{Order: 5, Offset: 5}, {Order: 3, Offset: 3}}, []vb365.ListOptions{{Offset: 3, Limit: 3}}},
		{"ascending from 0", []PendingRef{{Order: 0, Offset: 0}, {Order: 3, Offset: 3}}, []vb365.ListOptions{{Offset: 0, Limit: 4}}},
		{"only offset 0", []PendingRef{{Order: 0, Offset: 0}}, []vb365.ListOptions{{Offset: 0, Limit: 1}}},
		{"wide span far out", []PendingRef{{Order: 1200, Offset: 1200}, {Order: 500, Offset: 500}}, []vb365.ListOptions{{Offset: 500, Limit: 701}}},
		{"one unknown offset", []PendingRef{{Order: 3, Offset: 3}, {Order: 5, Offset: -1}}, full(1300)},
		{"span of a scan page", []PendingRef{{Order: 0, Offset: 0}, {Order: scanPageSize, Offset: scanPageSize}}, full(1300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newListLog(1300, allSuccess)
			cur := SessionCursor{SessionID: "s", PastRunning: true, Pending: tc.pending}
			ended, running, err := pendingNow(context.Background(), c, cur, false)
			require.NoError(t, err)
			require.Empty(t, running)
			require.Len(t, ended, len(tc.pending))
			for i, p := range tc.pending {
				require.Equal(t, p.Order, ended[i].Order)
			}
			require.Equal(t, tc.want, c.reads)
		})
	}
}

func fetch(t *testing.T, c VB365API, in FetchSessionEventsInput) *SessionEventsResult {
	t.Helper()
	env, a := newEnv(t, c)
	v, err := env.ExecuteActivity(a.FetchSessionEvents, in)
	require.NoError(t, err)
	var res SessionEventsResult
	require.NoError(t, v.Get(&res))
	return &res
}

func ordersOf(events []vb365.RestoreSessionEvent) []int32 {
	out := []int32{}
	for _, e := range events {
		out = append(out, e.Order)
	}
	return out
}

// TestFetchReadsUpToMaxEventsInPagesOf100: a fetch reads pages of 100 after
// the cursor, the last one only as large as MaxEvents leaves, moving the
// cursor by what each page held, and says More when it stopped at MaxEvents.
func TestFetchReadsUpToMaxEventsInPagesOf100(t *testing.T) {
	c := newListLog(250, allSuccess)
	res := fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", AfterOrder: -1}, MaxEvents: 150})
	require.Len(t, res.Events, 150)
	require.Equal(t, int32(149), res.Events[149].Order)
	require.True(t, res.More)
	require.Equal(t, []vb365.ListOptions{{Offset: 0, Limit: 100}, {Offset: 100, Limit: 50}}, c.reads)
}

// TestFetchPastRunningCountsRunningEventsInTheCursor: with PastRunning a page
// half of whose events are Running moves the cursor past all of them (the
// next page is read at the offset after the page), and a page whose only
// event is Running moves the cursor to that event's order.
func TestFetchPastRunningCountsRunningEventsInTheCursor(t *testing.T) {
	c := newListLog(150, func(i int) string {
		if i < 100 && i%2 == 1 {
			return "Running"
		}
		return "Success"
	})
	res := fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", AfterOrder: -1, PastRunning: true}})
	require.Len(t, res.Events, 100)
	require.Len(t, res.Running, 50)
	require.False(t, res.More)
	require.Equal(t, []vb365.ListOptions{{Offset: 0, Limit: 100}, {Offset: 100, Limit: 100}}, c.reads)

	c = newListLog(3, func(i int) string {
		if i == 0 {
			return "Running"
		}
		return "Success"
	})
	res = fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", AfterOrder: -1, PastRunning: true}, MaxEvents: 1})
	require.Equal(t, []int32{1}, ordersOf(res.Events))
	require.Len(t, res.Running, 1)
	require.Equal(t, int32(0), res.Running[0].Event.Order)
	require.True(t, res.More)
}

// TestFetchReturnsEndedPendingEvents: the pending events that ended since
// the workflow saw them come back in Ended, read once.
func TestFetchReturnsEndedPendingEvents(t *testing.T) {
	c := newListLog(5, allSuccess)
	res := fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", RecordedCount: 5, AfterOrder: 4,
		PastRunning: true, Pending: []PendingRef{{Order: 2, Offset: 2}}}})
	require.Empty(t, res.Events)
	require.Equal(t, []int32{2}, ordersOf(res.Ended))
}

// TestFetchOfExactlyMaxEventsSaysMore: a fetch that returns MaxEvents events
// says More even when the list read had no more (a list with gaps in its
// numbering, read whole).
func TestFetchOfExactlyMaxEventsSaysMore(t *testing.T) {
	c := &listLog{state: vb365.SessionStateWorking, events: []vb365.RestoreSessionEvent{{Order: 0}, {Order: 2}, {Order: 4}}}
	res := fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", AfterOrder: -1}, MaxEvents: 3})
	require.Equal(t, []int32{0, 2, 4}, ordersOf(res.Events))
	require.True(t, res.More)
}

// TestEventsAfterMoreAtAFullPage: a page read at the cursor that is full
// (as many events as asked) may be followed by more; a whole list read
// (numbering with gaps) that holds exactly as many as asked has no more.
func TestEventsAfterMoreAtAFullPage(t *testing.T) {
	c := newListLog(3, allSuccess)
	events, more, positioned, err := eventsAfter(context.Background(), c, SessionCursor{SessionID: "s", AfterOrder: -1}, 3)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.True(t, more)
	require.True(t, positioned)

	c = &listLog{state: vb365.SessionStateWorking, events: []vb365.RestoreSessionEvent{{Order: 0}, {Order: 2}, {Order: 4}}}
	events, more, positioned, err = eventsAfter(context.Background(), c, SessionCursor{SessionID: "s", AfterOrder: -1}, 3)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.False(t, more)
	require.False(t, positioned)
}

// TestNewsOfAResult: a wait has news when a Running event after the cursor
// appears (one at the cursor is not new), or when the session's state differs
// from the one the workflow knows (not when it knows none).
func TestNewsOfAResult(t *testing.T) {
	working := &vb365.RestoreSession{State: vb365.SessionStateWorking}
	running := func(order int32) []RunningEvent {
		return []RunningEvent{{Event: vb365.RestoreSessionEvent{Order: order}}}
	}
	require.False(t, (&SessionEventsResult{Session: working, Running: running(3)}).news(vb365.SessionStateWorking, 3))
	require.True(t, (&SessionEventsResult{Session: working, Running: running(4)}).news(vb365.SessionStateWorking, 3))
	require.False(t, (&SessionEventsResult{Session: working}).news(vb365.SessionStateWorking, 3))
	require.True(t, (&SessionEventsResult{Session: working}).news("Queued", 3))
	require.False(t, (&SessionEventsResult{Session: working}).news("", 3))
}

// TestBoundBytesAtTheLimit: events whose JSON sizes add up to exactly
// maxBytes all stay; a first event larger than maxBytes goes alone, uncut.
func TestBoundBytesAtTheLimit(t *testing.T) {
	events := []vb365.RestoreSessionEvent{{Order: 0, Title: "a"}, {Order: 1, Title: "b"}}
	size := 0
	for _, e := range events {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		size += len(b)
	}
	kept, cut := boundBytes(events, size)
	require.Len(t, kept, 2)
	require.False(t, cut)
	kept, cut = boundBytes(events, size-1)
	require.Len(t, kept, 1)
	require.True(t, cut)
	kept, cut = boundBytes(events[:1], 1)
	require.Len(t, kept, 1)
	require.False(t, cut)
}

// retryAfterOnce fails the first session read with a transient error that
// carries a Retry-After.
type retryAfterOnce struct {
	*listLog
	after  time.Duration
	failed bool
}

func (r *retryAfterOnce) GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error) {
	r.mu.Lock()
	first := !r.failed
	r.failed = true
	r.mu.Unlock()
	if first {
		return nil, &vb365.Error{Op: "get restore session", StatusCode: 503, RetryAfter: r.after}
	}
	return r.listLog.GetRestoreSession(ctx, id)
}

// TestWaitHonoursALongerRetryAfter: after a transient failure the wait pauses
// for VB365's Retry-After when it is longer than the poll interval, and for
// the poll interval when it is shorter.
func TestWaitHonoursALongerRetryAfter(t *testing.T) {
	for _, tc := range []struct{ after, want time.Duration }{{30 * time.Second, 30 * time.Second}, {5 * time.Second, 10 * time.Second}} {
		c := &retryAfterOnce{listLog: newListLog(1, allSuccess), after: tc.after}
		in := WaitForSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", AfterOrder: -1},
			KnownState: vb365.SessionStateWorking, PollInterval: 10 * time.Second, MaxWait: time.Hour}
		clock := newTestClock()
		res, err := runWaitOn(t, c, in, clock)
		require.NoError(t, err)
		require.Len(t, res.Events, 1)
		require.Equal(t, []time.Duration{tc.want}, clock.Sleeps())
	}
}

// TestFromStatisticsLessTheBaseline: each count of a restore is the
// statistics' less the baseline's; the failed items are the items with an
// error, then the errors, each list up to maxFailedItems.
func TestFromStatisticsLessTheBaseline(t *testing.T) {
	var res RestoreActionResult
	res.fromStatistics(&vb365.RestoreStatistics{Total: 10, Restored: 7, Failed: 2, Skipped: 3,
		Items: []vb365.RestoredItem{{Name: "old", Error: "x"}, {Name: "fine"}, {Name: "bad", Error: "denied"}}},
		&vb365.RestoreStatistics{Total: 4, Restored: 3, Failed: 1, Skipped: 1, Items: []vb365.RestoredItem{{Name: "old", Error: "x"}}})
	require.Equal(t, RestoreCounts{Total: 6, Restored: 4, Failed: 1, Skipped: 2}, res.Counts)
	require.Equal(t, []RestoreFailedItem{{Name: "bad", Reason: "denied"}}, res.FailedItems)

	var items []vb365.RestoredItem
	var errs []string
	for i := range maxFailedItems + 2 {
		items = append(items, vb365.RestoredItem{Name: fmt.Sprint("m", i), Error: "denied"})
		errs = append(errs, fmt.Sprint("error ", i))
	}
	res = RestoreActionResult{}
	res.fromStatistics(&vb365.RestoreStatistics{Total: 12, Failed: 12, Items: items}, nil)
	require.Len(t, res.FailedItems, maxFailedItems)
	res = RestoreActionResult{Target: "t"}
	res.fromStatistics(&vb365.RestoreStatistics{Total: 1, Failed: 1, Errors: errs}, nil)
	require.Len(t, res.FailedItems, maxFailedItems)
	require.Equal(t, RestoreFailedItem{Name: "t", Reason: "error 0"}, res.FailedItems[0])
}

// TestFromEventsCountsWarningsAsRestored: a restore judged by its events
// whose objects succeeded, warned and failed is a Warning (a warned object
// came back), and its failed items are at most maxFailedItems.
func TestFromEventsCountsWarningsAsRestored(t *testing.T) {
	var res RestoreActionResult
	res.fromEvents([]vb365.RestoreSessionEvent{{Status: "Success"}, {Status: "Warning"}, {Status: "Failed", ItemName: "m"}})
	require.Equal(t, "Warning", res.State)
	for _, evs := range [][]vb365.RestoreSessionEvent{{{Status: "Success"}, {Status: "Failed"}}, {{Status: "Warning"}, {Status: "Failed"}}} {
		res = RestoreActionResult{}
		res.fromEvents(evs)
		require.Equal(t, "Warning", res.State)
	}
	var failed []vb365.RestoreSessionEvent
	for range maxFailedItems + 2 {
		failed = append(failed, vb365.RestoreSessionEvent{Status: "Failed"})
	}
	res = RestoreActionResult{}
	res.fromEvents(failed)
	require.Equal(t, "Failed", res.State)
	require.Len(t, res.FailedItems, maxFailedItems)
}

// restoreLog is a listLog seen through RestoreAPI.
type restoreLog struct {
	RestoreAPI
	l *listLog
}

func (r restoreLog) ListRestoreSessionEvents(ctx context.Context, id string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	return r.l.ListRestoreSessionEvents(ctx, id, opts)
}

// TestRestoreEventsReadsEveryPage: the restore events are looked for past
// the first page of the list.
func TestRestoreEventsReadsEveryPage(t *testing.T) {
	l := newListLog(600, allSuccess)
	l.events[550].Type, l.events[550].ItemName = "Restore", "m"
	evs, err := restoreEvents(context.Background(), restoreLog{l: l}, RestoreActionInput{SessionID: "s"}, []string{"m"})
	require.NoError(t, err)
	require.Equal(t, []int32{550}, ordersOf(evs))
}

// TestLookForRestoreFirstLooksAtOnce: the first look for a restore an
// earlier attempt may have started comes without a pause (a pause, even a
// cancelled one, would fail it here: the context is already done).
func TestLookForRestoreFirstLooksAtOnce(t *testing.T) {
	l := newListLog(1, allSuccess)
	l.events[0].Type, l.events[0].ItemName = "Restore", "m"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := RestoreActionInput{SessionID: "s", PollInterval: time.Hour}
	found, err := New(Config{}).lookForRestore(ctx, restoreLog{l: l}, in, []string{"m"})
	require.NoError(t, err)
	require.True(t, found)
}

// TestRestoreActionMailboxesWithoutPollInterval: a restore of several
// mailboxes names them all as its target, and an input without a poll
// interval takes the default one (a zero interval would stop the heartbeat
// ticker from starting at all).
func TestRestoreActionMailboxesWithoutPollInterval(t *testing.T) {
	rig := newRestoreRig(t, "v7", vb365.SessionTypeExchange)
	in := rig.input(RestoreAction{Kind: RestoreKindMailboxes, Targets: []string{vb365sim.MailboxAlex, vb365sim.MailboxMegan}, CredentialProfile: "m365-admin"})
	in.PollInterval = 0
	v, err := rig.env.ExecuteActivity(rig.a.RestoreAction, in)
	require.NoError(t, err)
	var res RestoreActionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, "Success", res.State)
	require.Equal(t, vb365sim.MailboxAlex+", "+vb365sim.MailboxMegan, res.Target)
}

// TestRunningEventOffsetUnknownOffAWholeListRead: a Running event found by
// reading the whole list (its numbering has gaps) has no known offset (-1).
func TestRunningEventOffsetUnknownOffAWholeListRead(t *testing.T) {
	c := &listLog{state: vb365.SessionStateWorking, events: []vb365.RestoreSessionEvent{{Order: 0, Status: "Success"}, {Order: 2, Status: "Running"}}}
	res, err := pollOnce(context.Background(), c, SessionCursor{SessionID: "s", AfterOrder: -1, PastRunning: true}, 10)
	require.NoError(t, err)
	require.Equal(t, []int32{0}, ordersOf(res.Events))
	require.Equal(t, []RunningEvent{{Event: c.events[1], Offset: -1}}, res.Running)
}
