package activities

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// VB365 v8's change feed tells the worker which restore sessions changed,
// so that an idle session need not be polled to notice that it became busy:
// one feed reader per worker (per VB365 client) long-polls the feed while
// at least one wait runs, and wakes the waits whose session changed. While
// the feed works, an idle session is polled only as a safety net, every
// Config.SafetyPollInterval at most; when it fails (VB365 before v8, no
// feed, errors, a refused token) the waits fall back to the idle ceiling of
// VB365_IDLE_REQUESTS_PER_MINUTE, and when it comes back after losing its
// place every watched session is polled once, since what changed in between
// was not seen. The feed's own failures are logged and retried with
// backoff; they never fail an activity.

// changeFeedAPI is the part of the VB365 client that reads the change feed.
// *vb365.Client has it; with a client that has not (a test's fake), the
// waits poll as they did before the feed.
type changeFeedAPI interface {
	ListChanges(ctx context.Context, opts vb365.ChangesOptions) (*vb365.ChangesPage, error)
	MaxChangesWait() time.Duration
}

var _ changeFeedAPI = (*vb365.Client)(nil)

// DefaultSafetyPollInterval is Config.SafetyPollInterval when zero.
const DefaultSafetyPollInterval = 10 * time.Minute

// feedPageSize is the page of changes asked for: a full page is read on at
// once, without waiting.
const feedPageSize = 1000

// Backoff of the feed after a failure: from feedBackoffMin, doubling, up to
// feedBackoffMax (a server without the feed is asked again once a minute,
// which costs it one request; a version before v8 costs none).
const (
	feedBackoffMin = time.Second
	feedBackoffMax = time.Minute
)

// feedCoalesce is the pause after a page that brought changes (and was not
// full) before the next read: a long poll answers at the first change, so
// without it a busy server would cost one feed request per change; with it
// the feed costs at most one request per feedCoalesce, for a wake at most
// that much later.
const feedCoalesce = time.Second

// feedLinger is how long the reader goes on after the last wait ended: a
// workflow starts its next wait as soon as it has recorded the last one's
// events, and a reader started afresh costs a read from "latest" and a
// poll of every watched session.
const feedLinger = time.Minute

// wakeReason says why the feed ended a wait's pause. A change outranks a
// recovery.
type wakeReason int

const (
	noWake wakeReason = iota
	// wakeFeedDown: the feed failed; a pause longer than the idle ceiling
	// without the feed is cut to it.
	wakeFeedDown
	// wakeRecovery: the feed came back after a gap; the session may have
	// changed unseen: poll it once, as an idle session.
	wakeRecovery
	// wakeChange: VB365 reported a change of the session: poll it now, as
	// a busy session.
	wakeChange
)

// errWoken ends the pause of a wait the feed woke.
var errWoken = errors.New("woken by VB365's change feed")

// feedWatch is one wait registered with the feed reader.
type feedWatch struct {
	mu      sync.Mutex
	pending wakeReason
	// cancel ends the current pause; nil while the wait is not pausing.
	cancel context.CancelCauseFunc
	// changed is closed by the next change (see changes); nil when no
	// one asked.
	changed chan struct{}
	// unread says a pause ended on a change that no poll has read yet.
	unread bool
}

// wake ends the wait's pause, or its next one if it is polling now (the
// change may have come after its read).
func (w *feedWatch) wake(r wakeReason) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = max(w.pending, r)
	if w.cancel != nil {
		w.cancel(errWoken)
	}
	if r == wakeChange && w.changed != nil {
		close(w.changed)
		w.changed = nil
	}
}

// changes returns the channel that makes the next poll a read of a change
// (vb365.ChangedWhen, vb365.BackgroundUntil): already closed when VB365 has
// reported a change that no poll has read yet (the poll about to go reads
// it), else closed by the next change, which moves the poll still queued
// for the VB365 budget ahead. A nil watch never closes it.
func (w *feedWatch) changes() <-chan struct{} {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == wakeChange || w.unread {
		w.unread = false
		c := make(chan struct{})
		close(c)
		return c
	}
	if w.changed == nil {
		w.changed = make(chan struct{})
	}
	return w.changed
}

// pause sleeps d with sleep, or less when the feed wakes the wait first;
// it says why it ended early (noWake: it did not). A nil watch just sleeps.
func (w *feedWatch) pause(ctx context.Context, d time.Duration, sleep func(context.Context, time.Duration) error) (wakeReason, error) {
	if w == nil {
		return noWake, sleep(ctx, d)
	}
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.mu.Lock()
	if r := w.pending; r != noWake {
		w.pending = noWake
		w.unread = w.unread || r == wakeChange
		w.mu.Unlock()
		return r, nil
	}
	w.cancel = cancel
	w.mu.Unlock()
	err := sleep(pctx, d)
	w.mu.Lock()
	r := w.pending
	w.pending, w.cancel = noWake, nil
	w.unread = w.unread || r == wakeChange
	w.mu.Unlock()
	if r != noWake && ctx.Err() == nil {
		return r, nil
	}
	return noWake, err
}

// feedReader reads the change feed for the waits of one worker.
type feedReader struct {
	api changeFeedAPI
	m   *vb365.Metrics
	log *zap.Logger
	// backoffMin and backoffMax bound the pause after a failure, coalesce
	// is the one after a page with changes; sleep waits them (a test
	// shortens them).
	backoffMin, backoffMax, coalesce time.Duration
	// linger is how long the reader outlives the last wait (0: it stops
	// with it).
	linger time.Duration
	sleep  func(context.Context, time.Duration) error
	// seen, when set, is called after each page's changes were handled
	// (tests wait for it instead of for time).
	seen func(page []vb365.Change, up bool)

	mu      sync.Mutex
	watches map[string]map[*feedWatch]struct{}
	n       int
	up      bool
	stop    context.CancelFunc // of the running reader; nil when none
	done    chan struct{}      // closed when the running reader has returned
	starts  int                // readers started (tests)
	// lingering stops the reader once linger has passed without a wait.
	lingering *time.Timer
}

func newFeedReader(api changeFeedAPI, m *vb365.Metrics, log *zap.Logger) *feedReader {
	if log == nil {
		log = zap.NewNop()
	}
	return &feedReader{api: api, m: m, log: log, backoffMin: feedBackoffMin, backoffMax: feedBackoffMax,
		coalesce: feedCoalesce, linger: feedLinger, sleep: timerSleep, watches: map[string]map[*feedWatch]struct{}{}}
}

// watch registers a wait on sessionID, starting the reader with the first
// one; unwatch of the last one stops the reader linger later (when no wait
// came meanwhile), or at once, returning once it has stopped, without
// linger. A nil reader (no feed) returns a nil watch. Register before the
// wait's first poll: a change after it is then seen either by that poll or
// by the feed.
func (f *feedReader) watch(sessionID string) (w *feedWatch, unwatch func()) {
	if f == nil {
		return nil, func() {}
	}
	w = &feedWatch{}
	sessionID = strings.ToLower(sessionID) // VB365's ids are UUIDs; the feed's case may differ
	f.mu.Lock()
	if f.watches[sessionID] == nil {
		f.watches[sessionID] = map[*feedWatch]struct{}{}
	}
	f.watches[sessionID][w] = struct{}{}
	f.n++
	if f.lingering != nil {
		f.lingering.Stop() // if it fired already, expire finds a wait and leaves the reader be
		f.lingering = nil
	}
	if f.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f.stop, f.done = cancel, make(chan struct{})
		f.starts++
		go f.run(ctx, f.done)
	}
	f.mu.Unlock()
	var once sync.Once
	return w, func() { once.Do(func() { f.unwatch(sessionID, w) }) }
}

func (f *feedReader) unwatch(sessionID string, w *feedWatch) {
	f.mu.Lock()
	delete(f.watches[sessionID], w)
	if len(f.watches[sessionID]) == 0 {
		delete(f.watches, sessionID)
	}
	f.n--
	if f.n > 0 {
		f.mu.Unlock()
		return
	}
	if f.linger > 0 {
		f.lingering = time.AfterFunc(f.linger, f.expire)
		f.mu.Unlock()
		return
	}
	f.stopLocked()
}

// expire stops the reader when no wait has come since the last one ended.
func (f *feedReader) expire() {
	f.mu.Lock()
	if f.n > 0 {
		f.mu.Unlock()
		return
	}
	f.lingering = nil
	f.stopLocked()
}

// stopLocked stops the running reader, if any: called with f.mu held, it
// releases it and returns once the reader has returned.
func (f *feedReader) stopLocked() {
	stop, done := f.stop, f.done
	f.stop, f.done = nil, nil
	f.setUpLocked(false)
	f.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// healthy says whether the feed is read now: idle waits then poll only as a
// safety net.
func (f *feedReader) healthy() bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.up
}

// running says whether a reader goroutine runs (tests).
func (f *feedReader) running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stop != nil
}

// setUpLocked records whether the feed works; when it stops working, the
// waits pausing for the safety net's long pauses are told (wakeFeedDown).
func (f *feedReader) setUpLocked(up bool) {
	if f.up == up {
		return
	}
	f.up = up
	f.m.FeedUp(up)
	if !up {
		for _, ws := range f.watches {
			for w := range ws {
				w.wake(wakeFeedDown)
			}
		}
	}
}

// run reads the feed until ctx ends. It starts from "latest"; a token VB365
// refuses, or a failure that is not transient (no feed, not v8), sends it
// back there, and every read from "latest" wakes every watched wait once
// (its place in the feed was lost, or never had). A transient failure keeps
// the token: reading on from it loses nothing.
func (f *feedReader) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	token, failures := "", 0
	for ctx.Err() == nil {
		opts := vb365.ChangesOptions{From: token, Limit: feedPageSize, Wait: f.api.MaxChangesWait()}
		if token == "" {
			// Answered at once: the waits learn that the feed is up, and
			// the ones already watching are polled, without a long poll's
			// delay.
			opts.From, opts.Wait = vb365.ChangesFromLatest, 0
		}
		page, err := f.api.ListChanges(ctx, opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			if token != "" && (vb365.IsChangeTokenRefused(err) || !vb365.IsTransient(err)) {
				token = ""
			}
			d := f.backoff(failures)
			f.log.Warn("VB365 change feed failed; idle restore sessions are polled as without it until it is back",
				zap.Error(err), zap.Duration("retryIn", d))
			f.handled(ctx, nil, false)
			if f.sleep(ctx, d) != nil {
				return
			}
			continue
		}
		if failures > 0 {
			f.log.Info("VB365 change feed is back")
		}
		failures = 0
		recovered := token == ""
		token = page.NextToken
		f.dispatch(ctx, page.Changes, recovered)
		f.handled(ctx, page.Changes, true)
		if n := len(page.Changes); n > 0 && n < feedPageSize && f.sleep(ctx, f.coalesce) != nil {
			return
		}
	}
}

// backoff is the pause after the n-th failure in a row.
func (f *feedReader) backoff(n int) time.Duration {
	d := f.backoffMin
	for i := 1; i < n && d < f.backoffMax; i++ {
		d *= 2
	}
	return min(d, f.backoffMax)
}

// dispatch marks the feed up and wakes the waits of the sessions that
// changed, or, after a read from "latest", every wait.
func (f *feedReader) dispatch(ctx context.Context, changes []vb365.Change, recovered bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ctx.Err() != nil { // a stopped reader; a new one may run already
		return
	}
	f.setUpLocked(true)
	f.m.FeedChanges(len(changes))
	if recovered {
		n := 0
		for _, ws := range f.watches {
			for w := range ws {
				w.wake(wakeRecovery)
				n++
			}
		}
		f.m.FeedWakes("recovery", n)
	}
	n := 0
	for _, c := range changes {
		if c.Type != vb365.ChangeRestoreSessionUpdate && c.Type != vb365.ChangeRestoreSessionDelete {
			continue
		}
		for w := range f.watches[strings.ToLower(c.ID)] {
			w.wake(wakeChange)
			n++
		}
	}
	f.m.FeedWakes("change", n)
}

// handled records a read's outcome (down after a failure) and tells a
// test's hook.
func (f *feedReader) handled(ctx context.Context, changes []vb365.Change, up bool) {
	f.mu.Lock()
	if ctx.Err() == nil && !up {
		f.setUpLocked(false)
	}
	seen := f.seen
	f.mu.Unlock()
	if seen != nil && ctx.Err() == nil {
		seen(changes, up)
	}
}

// timerSleep waits d or until ctx ends.
func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
