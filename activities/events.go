package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// SessionCursor says which events the workflow has recorded: RecordedCount
// of them (where the next page is expected to start), the last with order
// AfterOrder (-1 when none). Only events with a greater order are returned,
// so each event reaches the workflow once even if VB365's paging shifts.
type SessionCursor struct {
	SessionID     string `json:"sessionId"`
	RecordedCount int    `json:"recordedCount"`
	AfterOrder    int32  `json:"afterOrder"`
	// PastRunning asks for the events after one still Running instead of
	// holding them back: finished ones come in Events, Running ones in
	// Running (not final: the workflow records them when they end). Then
	// RecordedCount and AfterOrder count the Running ones seen too, and
	// Pending names those the workflow still holds as Running: the ones
	// that ended come back in Ended with their final status.
	PastRunning bool         `json:"pastRunning,omitempty"`
	Pending     []PendingRef `json:"pending,omitempty"`
}

// PendingRef names an event seen Running: its order, and its position in
// VB365's list when it was read (-1 when unknown), where it is read again.
type PendingRef struct {
	Order  int32 `json:"order"`
	Offset int   `json:"offset"`
}

// RunningEvent is an event VB365 reports Running, as last read, with its
// position in VB365's list (-1 when unknown).
type RunningEvent struct {
	Event  vb365.RestoreSessionEvent `json:"event"`
	Offset int                       `json:"offset"`
}

// WaitForSessionEventsInput asks to wait for news about a session.
type WaitForSessionEventsInput struct {
	SessionCursor
	// KnownState is the state the workflow last saw; a change is news.
	KnownState string `json:"knownState,omitempty"`
	// PollInterval is the pause between polls of an active session; it
	// doubles while nothing happens, up to 4x or the idle ceiling.
	PollInterval time.Duration `json:"pollInterval"`
	// MaxWait bounds the whole wait; the activity returns empty-handed then.
	MaxWait time.Duration `json:"maxWait"`
	// PageSize bounds the events returned at once (default 100).
	PageSize int `json:"pageSize,omitempty"`
	// MaxBytes bounds the events returned at once by their JSON size
	// (default DefaultMaxBatchBytes); the result says More when it cut.
	MaxBytes int `json:"maxBytes,omitempty"`
}

// DefaultMaxBatchBytes bounds the JSON size of the events one wait or fetch
// returns: an activity result (and so a history event) stays well under
// Temporal's 2 MB payload limit and its 1 MB warning whatever VB365 puts in
// an event's texts. A single larger event still goes alone.
const DefaultMaxBatchBytes = 512 << 10

// boundBytes keeps the leading events whose JSON sizes add up to at most
// maxBytes (default DefaultMaxBatchBytes), and at least one; cut says
// whether it left some out.
func boundBytes(events []vb365.RestoreSessionEvent, maxBytes int) (kept []vb365.RestoreSessionEvent, cut bool) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBatchBytes
	}
	size := 0
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			continue
		}
		if size += len(b); size > maxBytes && i > 0 {
			return events[:i], true
		}
	}
	return events, false
}

// SessionEventsResult is what a wait or a fetch found.
type SessionEventsResult struct {
	// Events are new, in order, each with Order > AfterOrder.
	Events []vb365.RestoreSessionEvent `json:"events,omitempty"`
	// Session is the session as last read (nil when Missing).
	Session *vb365.RestoreSession `json:"session,omitempty"`
	// Missing is true when VB365 no longer knows the session (404).
	Missing bool `json:"missing,omitempty"`
	// More is true when the page was full: more events may be waiting.
	More bool `json:"more,omitempty"`
	// Polls counts the polls the wait made (for the logs).
	Polls int `json:"polls,omitempty"`
	// Running (with PastRunning) are the events VB365 reports Running:
	// new ones after the cursor, and pending ones still running.
	Running []RunningEvent `json:"running,omitempty"`
	// Ended (with PastRunning) are pending events that have ended, with
	// their final status.
	Ended []vb365.RestoreSessionEvent `json:"ended,omitempty"`
}

func (r *SessionEventsResult) news(knownState string, afterOrder int32) bool {
	newRunning := slices.ContainsFunc(r.Running, func(e RunningEvent) bool { return e.Event.Order > afterOrder })
	return len(r.Events) > 0 || len(r.Ended) > 0 || newRunning || r.Missing || r.Session.Stopped() ||
		(r.Session != nil && knownState != "" && r.Session.State != knownState)
}

// boundResult bounds r.Events by bytes (boundBytes); when it cuts, the
// Running events after the last one kept go too, so that the cursor never
// moves past an event not returned.
func (r *SessionEventsResult) boundResult(maxBytes int, afterOrder int32) {
	var cut bool
	if r.Events, cut = boundBytes(r.Events, maxBytes); !cut {
		return
	}
	r.More = true
	last := r.Events[len(r.Events)-1].Order
	r.Running = slices.DeleteFunc(r.Running, func(e RunningEvent) bool {
		return e.Event.Order > last && e.Event.Order > afterOrder
	})
}

// transientBudget is how long WaitForSessionEvents rides out a VB365 outage
// inside its loop (logging each failure and keeping the failure in its
// heartbeat details for the UI) before it fails the attempt with a retryable
// error and lets the activity retry policy take over. Either way no history
// event is written; failing surfaces the outage as the pending activity's
// last failure and restarts the attempt with fresh connections.
const transientBudget = 2 * time.Minute

// waitProgress is the heartbeat payload: for operators looking at the
// pending activity, not for resuming (the cursor comes in the input).
type waitProgress struct {
	Polls     int       `json:"polls"`
	LastPoll  time.Time `json:"lastPoll"`
	LastError string    `json:"lastError,omitempty"`
	// Waiting says why a VB365 request is waiting for the worker's budget.
	Waiting string `json:"waiting,omitempty"`
}

// WaitForSessionEvents polls VB365 until there are new events, the session
// stopped (or changed state, or vanished) or MaxWait elapsed. It heartbeats
// on its own ticker, independent of VB365's latency, so a slow VB365 never
// looks like a dead worker and cancellation arrives promptly; it backs off
// while the session is idle. One call costs the workflow a handful of history
// events however long it waits, which is what keeps an idle session's history
// flat.
func (a *Activities) WaitForSessionEvents(ctx context.Context, in WaitForSessionEventsInput) (res *SessionEventsResult, err error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	log := activity.GetLogger(ctx)
	poll := in.PollInterval
	if poll <= 0 {
		poll = 15 * time.Second
	}
	deadline := a.now().Add(in.MaxWait)

	var mu sync.Mutex
	prog := waitProgress{}
	snapshot := func() waitProgress { mu.Lock(); defer mu.Unlock(); return prog }
	stopHB := a.startHeartbeats(ctx, heartbeatEvery(activity.GetInfo(ctx).HeartbeatTimeout), func() any { return snapshot() })
	defer stopHB()
	ctx, pollCtx, busy, endWatch := a.watchSession(ctx, in.SessionID, poll, func(w vb365.BudgetWait) { mu.Lock(); prog.Waiting = w.Reason; mu.Unlock() })
	defer func() { res, err = endWatch(res, err) }()
	// Registered before the first poll: a change after it is seen either
	// by that poll or by the feed.
	feedWatch, unwatch := a.feed.watch(in.SessionID)
	defer unwatch()

	interval := poll
	var streakStart time.Time
	for {
		res, err := pollOnce(pollCtx(feedWatch.changes()), c, in.SessionCursor, in.PageSize)
		mu.Lock()
		prog.Polls++
		prog.LastPoll = a.now().UTC()
		if err != nil {
			prog.LastError = err.Error()
		} else {
			prog.LastError = ""
		}
		polls := prog.Polls
		mu.Unlock()

		wait := interval
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && vb365.IsTransient(err):
			if streakStart.IsZero() {
				streakStart = a.now()
			}
			if failing := a.now().Sub(streakStart); failing > transientBudget {
				return nil, mapError(fmt.Sprintf("poll restore session %q (VB365 failing for %s)",
					in.SessionID, failing.Round(time.Second)), err)
			}
			log.Warn("VB365 poll failed; retrying", "sessionId", in.SessionID, "error", err)
			if d, ok := vb365.RetryAfter(err); ok && d > wait {
				wait = d
			}
		case err != nil:
			return nil, mapError(fmt.Sprintf("poll restore session %q", in.SessionID), err)
		default:
			streakStart = time.Time{}
			res.Polls = polls
			if len(res.Events) > 0 {
				res.boundResult(in.MaxBytes, in.AfterOrder)
			}
			if res.news(in.KnownState, in.AfterOrder) {
				return res, nil
			}
		}
		remaining := deadline.Sub(a.now())
		if remaining <= 0 {
			if res == nil {
				// The last poll failed: report it rather than a stale "no news".
				return nil, mapError(fmt.Sprintf("poll restore session %q", in.SessionID), err)
			}
			return res, nil
		}
		if ceiling := a.safetyCeiling(poll); err == nil && interval < ceiling {
			// Doubled up to the ceiling, compared before doubling: a
			// ceiling past half the longest duration must not overflow
			// into a negative pause (polls without end).
			if interval > ceiling/2 {
				interval = ceiling
			} else {
				interval *= 2
			}
			// While the change feed works, a session with nothing new at
			// its first two polls (at once and one poll interval later)
			// waits for the feed to report a change, polled only as a
			// safety net: doubling pauses would keep thousands of idle
			// sessions queued in the VB365 budget ahead of the one the
			// feed just woke.
			if polls >= busyFor-1 && a.feed.healthy() {
				interval = ceiling
			}
		}
		woke, err := a.pauseWait(ctx, feedWatch, poll, min(wait, remaining))
		if err != nil {
			return nil, err
		}
		if woke == wakeChange {
			// VB365 says the session changed: it is busy again.
			interval = poll
			busy()
		}
	}
}

// FetchSessionEventsInput asks for the events after a cursor.
type FetchSessionEventsInput struct {
	SessionCursor
	// MaxEvents bounds one call (default 500); the result says More.
	MaxEvents int `json:"maxEvents,omitempty"`
	// MaxBytes bounds one call by the events' JSON size (default
	// DefaultMaxBatchBytes); the result says More.
	MaxBytes int `json:"maxBytes,omitempty"`
}

// FetchSessionEvents reads the events after the cursor at once (after a stop,
// so the report holds every event up to it), up to MaxEvents. It heartbeats
// while it waits for the VB365 budget (queueHeartbeats).
func (a *Activities) FetchSessionEvents(ctx context.Context, in FetchSessionEventsInput) (*SessionEventsResult, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	limit := in.MaxEvents
	if limit <= 0 {
		limit = 500
	}
	ctx, stopHB := a.queueHeartbeats(ctx, a.queueEvery(ctx), queueDetails)
	defer stopHB()
	out := &SessionEventsResult{}
	cur := in.SessionCursor
	for len(out.Events) < limit {
		res, err := pollOnce(ctx, c, cur, min(100, limit-len(out.Events)))
		if err != nil {
			return nil, mapError(fmt.Sprintf("fetch events of restore session %q", in.SessionID), err)
		}
		out.Session, out.Missing, out.More = res.Session, res.Missing, res.More
		out.Events = append(out.Events, res.Events...)
		out.Running = append(out.Running, res.Running...)
		if cur.Pending != nil {
			out.Ended = res.Ended // the pending ones, read once
			cur.Pending = nil
		}
		if n := len(out.Events); n > 0 {
			out.boundResult(in.MaxBytes, in.AfterOrder)
			if len(out.Events) < n {
				return out, nil
			}
		}
		if !res.More || res.Missing || len(res.Events)+countAfter(res.Running, cur.AfterOrder) == 0 {
			break
		}
		last := int32(-1)
		if len(res.Events) > 0 {
			last = res.Events[len(res.Events)-1].Order
		}
		for _, e := range res.Running {
			last = max(last, e.Event.Order)
		}
		cur.RecordedCount += len(res.Events) + countAfter(res.Running, cur.AfterOrder)
		cur.AfterOrder = max(cur.AfterOrder, last)
	}
	if len(out.Events) >= limit {
		out.More = true
	}
	a.cfg.Metrics.EventsRecorded(len(out.Events))
	return out, nil
}

// pollOnce reads the session, then the events page after the cursor: in that
// order, so that when the session is seen Stopped, the events read include
// every event up to the stop.
func pollOnce(ctx context.Context, c VB365API, cur SessionCursor, pageSize int) (*SessionEventsResult, error) {
	if pageSize <= 0 {
		pageSize = 100
	}
	s, err := c.GetRestoreSession(ctx, cur.SessionID)
	if err != nil {
		if vb365.StatusCode(err) == 404 {
			return &SessionEventsResult{Missing: true}, nil
		}
		return nil, err
	}
	events, more, positioned, err := eventsAfter(ctx, c, cur, pageSize)
	if err != nil {
		if vb365.StatusCode(err) == 404 {
			return &SessionEventsResult{Missing: true}, nil
		}
		return nil, err
	}
	if !cur.PastRunning {
		settled := settledPrefix(events, s.Stopped())
		return &SessionEventsResult{
			Session: s,
			Events:  settled,
			More:    more || len(settled) < len(events),
		}, nil
	}
	res := &SessionEventsResult{Session: s, More: more}
	if len(cur.Pending) > 0 {
		if res.Ended, res.Running, err = pendingNow(ctx, c, cur, s.Stopped()); err != nil {
			if vb365.StatusCode(err) == 404 {
				return &SessionEventsResult{Missing: true}, nil
			}
			return nil, err
		}
	}
	for i, e := range events {
		if e.Status == eventRunning && !s.Stopped() {
			off := -1
			if positioned {
				off = cur.RecordedCount + i
			}
			res.Running = append(res.Running, RunningEvent{Event: e, Offset: off})
			continue
		}
		res.Events = append(res.Events, e)
	}
	return res, nil
}

// countAfter counts the running events with an order above afterOrder.
func countAfter(running []RunningEvent, afterOrder int32) int {
	n := 0
	for _, e := range running {
		if e.Event.Order > afterOrder {
			n++
		}
	}
	return n
}

// pendingNow reads the pending events again: those that ended (every one
// once the session is stopped) and those still running. It reads the part
// of the list where they were seen; when one is not found there (the list
// moved, or VB365 lists newest first) it reads the whole list. An event
// VB365 no longer lists stays pending as it was last seen.
func pendingNow(ctx context.Context, c VB365API, cur SessionCursor, stopped bool) (ended []vb365.RestoreSessionEvent, running []RunningEvent, err error) {
	found := map[int32]vb365.RestoreSessionEvent{}
	lo, hi := -1, -1
	for _, p := range cur.Pending {
		if p.Offset < 0 {
			lo = -1
			break
		}
		if lo < 0 || p.Offset < lo {
			lo = p.Offset
		}
		hi = max(hi, p.Offset)
	}
	if lo >= 0 && hi-lo < scanPageSize {
		page, err := c.ListRestoreSessionEvents(ctx, cur.SessionID, vb365.ListOptions{Offset: lo, Limit: hi - lo + 1})
		if err != nil {
			return nil, nil, err
		}
		for _, e := range page.Results {
			found[e.Order] = e
		}
	}
	if slices.ContainsFunc(cur.Pending, func(p PendingRef) bool { _, ok := found[p.Order]; return !ok }) {
		read := func(ctx context.Context, offset int) (*vb365.Page[vb365.RestoreSessionEvent], error) {
			return c.ListRestoreSessionEvents(ctx, cur.SessionID, vb365.ListOptions{Offset: offset, Limit: scanPageSize})
		}
		all, err := readAll(ctx, read, func(e vb365.RestoreSessionEvent) string { return strconv.Itoa(int(e.Order)) }, maxScanPages)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range all {
			found[e.Order] = e
		}
	}
	for _, p := range cur.Pending {
		e, ok := found[p.Order]
		switch {
		case !ok:
			continue
		case e.Status == eventRunning && !stopped:
			running = append(running, RunningEvent{Event: e, Offset: p.Offset})
		default:
			ended = append(ended, e)
		}
	}
	return ended, running, nil
}

// Scanning a whole event list: pages of scanPageSize, at most
// maxScanPages of them (a session with 200,000 events).
const (
	scanPageSize = 1000
	maxScanPages = 200
)

// eventsAfter returns up to max events with an order above cur.AfterOrder,
// sorted by order, and whether more may follow.
//
// The page at offset cur.RecordedCount is read first: when VB365 lists
// events by order and numbers them without gaps, it holds exactly the next
// ones, whatever order the first event has. It is trusted only when it
// shows that: its new events continue AfterOrder without a gap (from order
// 0 when nothing was recorded yet), or it is empty (nothing new). Otherwise
// (a list newest first, an order that does not start at 0, a numbering with
// gaps, pages that moved) the whole list is read (readAll, de-duplicated by
// order) and the events after the cursor taken from it.
//
// positioned says the events are the page at cur.RecordedCount, in list
// order (the first branch): their offsets in the list are known.
func eventsAfter(ctx context.Context, c VB365API, cur SessionCursor, max int) (_ []vb365.RestoreSessionEvent, more, positioned bool, _ error) {
	page, err := c.ListRestoreSessionEvents(ctx, cur.SessionID, vb365.ListOptions{Offset: cur.RecordedCount, Limit: max})
	if err != nil {
		return nil, false, false, err
	}
	events := newEvents(page.Results, cur.AfterOrder)
	if len(page.Results) == 0 || (len(events) > 0 && continues(events, cur.AfterOrder)) {
		return events, page.HasNext || len(page.Results) >= max, len(events) == len(page.Results), nil
	}
	read := func(ctx context.Context, offset int) (*vb365.Page[vb365.RestoreSessionEvent], error) {
		return c.ListRestoreSessionEvents(ctx, cur.SessionID, vb365.ListOptions{Offset: offset, Limit: scanPageSize})
	}
	all, err := readAll(ctx, read, func(e vb365.RestoreSessionEvent) string { return strconv.Itoa(int(e.Order)) }, maxScanPages)
	if err != nil {
		return nil, false, false, err
	}
	events = newEvents(all, cur.AfterOrder)
	if len(events) > max {
		return events[:max], true, false, nil
	}
	return events, false, false, nil
}

// continues reports whether sorted events follow afterOrder without a gap.
func continues(events []vb365.RestoreSessionEvent, afterOrder int32) bool {
	next := afterOrder + 1
	for _, e := range events {
		if e.Order != next {
			return false
		}
		next++
	}
	return true
}

// eventRunning is the status of an event VB365 has not finished yet.
const eventRunning = "Running"

// settledPrefix keeps the events up to the first one still running: the
// audit trail records each event once, with its final status, and in order,
// so a running event holds back the ones after it until it ends. Once the
// session is stopped every event counts as it stands (VB365 ends running
// ones with the session).
func settledPrefix(events []vb365.RestoreSessionEvent, sessionStopped bool) []vb365.RestoreSessionEvent {
	if sessionStopped {
		return events
	}
	for i, e := range events {
		if e.Status == eventRunning {
			return events[:i]
		}
	}
	return events
}

// newEvents keeps the events after afterOrder, sorted by order, without
// duplicates.
func newEvents(events []vb365.RestoreSessionEvent, afterOrder int32) []vb365.RestoreSessionEvent {
	out := make([]vb365.RestoreSessionEvent, 0, len(events))
	for _, e := range events {
		if e.Order > afterOrder {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(x, y vb365.RestoreSessionEvent) int { return int(x.Order) - int(y.Order) })
	return slices.CompactFunc(out, func(x, y vb365.RestoreSessionEvent) bool { return x.Order == y.Order })
}

// heartbeatEvery is a fifth of the heartbeat timeout, between 1s and 10s:
// several heartbeats fit in the timeout even if one is delayed.
func heartbeatEvery(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return 5 * time.Second
	}
	return min(max(timeout/5, time.Second), 10*time.Second)
}

// startHeartbeats heartbeats every interval until the returned function is
// called. The first heartbeat comes after one interval, not at once: a wait
// that ends sooner (every batch of an active session) then sends none, and
// each heartbeat that reaches the server is a write there and a billable
// action in Temporal Cloud; the heartbeat timeout still covers the start.
// It heartbeats with the activity's own context: a derived one would not
// carry the activity's identity.
func (a *Activities) startHeartbeats(ctx context.Context, every time.Duration, details func() any) (stop func()) {
	// A timer, not a goroutine with a ticker: with thousands of open
	// restores, each waiting activity would hold one more goroutine stack
	// for nothing but this.
	var (
		mu      sync.Mutex
		stopped bool
		t       *time.Timer
		beating sync.WaitGroup
	)
	beat := func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		beating.Add(1)
		mu.Unlock()
		defer beating.Done()
		a.heartbeat(ctx, details())
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			t.Reset(every)
		}
	}
	mu.Lock()
	t = time.AfterFunc(every, beat)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
		beating.Wait()
	}
}

// sleep waits d, or returns early when the activity is canceled or the worker
// is stopping (then with a retryable error, so another worker resumes the
// wait without writing history).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-activity.GetWorkerStopChannel(ctx):
		return temporal.NewApplicationError("worker stopping; the wait resumes on another worker", "WorkerStopping")
	}
}
