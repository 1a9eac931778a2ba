package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// DefaultIdleRequestsPerMinute is the VB365 cost of an idle session in the
// steady state when Config.IdleRequestsPerMinute is zero.
const DefaultIdleRequestsPerMinute = 1.0

// requestsPerPoll is what one poll of WaitForSessionEvents costs VB365: the
// session, then the events page after the cursor.
const requestsPerPoll = 2

// maxIdleBudgetPause bounds the pause the idle budget sets: however small
// the budget, an idle session is polled at least once a day (and the pause
// stays far from a Duration's limit).
const maxIdleBudgetPause = 24 * time.Hour

// idleCeiling is the longest pause between two polls of an idle session:
// the wait doubles its pause while nothing happens, up to 4 poll intervals
// or, when that would cost VB365 more than the idle budget, up to the pause
// that keeps an idle session within it (2 minutes at 1 request a minute;
// maxIdleBudgetPause at most). A busy session is unaffected: every wait
// starts at the poll interval.
func (a *Activities) idleCeiling(poll time.Duration) time.Duration {
	perMin := a.cfg.IdleRequestsPerMinute
	if perMin <= 0 {
		perMin = DefaultIdleRequestsPerMinute
	}
	budget := maxIdleBudgetPause
	if p := requestsPerPoll * float64(time.Minute) / perMin; p < float64(maxIdleBudgetPause) {
		budget = time.Duration(p)
	}
	return max(4*poll, budget)
}

// safetyCeiling is the longest pause of an idle session while VB365's
// change feed works: the feed wakes a session that changes at once, so an
// idle one is polled only as a safety net, every SafetyPollInterval (never
// more often than idleCeiling). pauseWait cuts a pause to idleCeiling
// whenever the feed does not work (or there is none).
func (a *Activities) safetyCeiling(poll time.Duration) time.Duration {
	c := a.idleCeiling(poll)
	safety := a.cfg.SafetyPollInterval
	if safety <= 0 {
		safety = DefaultSafetyPollInterval
	}
	return max(c, safety)
}

// pauseWait pauses a wait for d after a poll, or less: the change feed ends
// the pause when the session changes (wakeChange) or after a gap in the
// feed (wakeRecovery), and when the feed fails during the pause, the pause
// is cut to the idle ceiling without the feed (counted from its start).
//
// A wake never brings the next poll closer than one poll interval after
// the last: the feed shortens the long pauses of an idle session, while a
// busy session is read once per poll interval as without the feed, so that
// the events of a burst come back in one batch (each batch costs the
// workflow history and an activity) rather than one wait per change.
func (a *Activities) pauseWait(ctx context.Context, w *feedWatch, poll, d time.Duration) (wakeReason, error) {
	start := a.now()
	for {
		left := d
		if !a.feed.healthy() {
			left = min(d, a.idleCeiling(poll))
		}
		if left -= a.now().Sub(start); left <= 0 {
			return noWake, nil
		}
		r, err := w.pause(ctx, left, a.sleep)
		switch {
		case err != nil || r == noWake:
			return r, err
		case r == wakeFeedDown:
			continue
		}
		if rest := min(poll, d) - a.now().Sub(start); rest > 0 {
			if err := a.sleep(ctx, rest); err != nil {
				return noWake, err
			}
		}
		return r, nil
	}
}

// errSessionStopping ends a wait whose session a stop on this worker is
// ending: the workflow abandoned the wait before it asked for the stop.
var errSessionStopping = errors.New("the restore session is being stopped")

// waiters are the wait activities running on this worker, by session, so
// that StopRestoreSession can end them at once. Without it a wait learns of
// its cancellation only from the response to its next heartbeat, which the
// SDK sends at most once per 0.8 heartbeat timeout (48 s), and goes on
// polling VB365 until then. Waits on other workers still learn it that way,
// or from their next poll, which sees the session stopped.
type waiters struct {
	mu sync.Mutex
	m  map[string]map[*struct{}]context.CancelCauseFunc
}

func (w *waiters) add(sessionID string, cancel context.CancelCauseFunc) (remove func()) {
	key := &struct{}{}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]map[*struct{}]context.CancelCauseFunc{}
	}
	if w.m[sessionID] == nil {
		w.m[sessionID] = map[*struct{}]context.CancelCauseFunc{}
	}
	w.m[sessionID][key] = cancel
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.m[sessionID], key)
		if len(w.m[sessionID]) == 0 {
			delete(w.m, sessionID)
		}
	}
}

// stop ends every wait on sessionID running on this worker.
func (w *waiters) stop(sessionID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cancel := range w.m[sessionID] {
		cancel(errSessionStopping)
	}
}

// busyFor is how long a wait's polls count as those of a busy session: its
// first two polls (at once and after one poll interval), which is when a
// session that just had news has more. They are ordinary VB365 requests.
// Later polls are those of an idle session and go to VB365 as background
// requests, behind every other request of the worker, so that many idle
// sessions do not delay a busy one when the worker's VB365 budget is short.
// Either kind becomes a read of a change, which takes turns with the
// ordinary requests instead of queueing behind them, once VB365's change
// feed reports a change of the session (vb365.ChangedWhen).
const busyFor = 2

// watchSession is the bookkeeping around one wait: the session counts as
// open in the metrics, a stop on this worker ends the wait at once (its
// result is then "no news", which the workflow has already abandoned), the
// events it returns count as recorded, and waits for the VB365 request
// budget are reported to onBudget (for the heartbeat details). pollCtx is
// the context of each poll (background once the wait has been idle for
// busyFor poll intervals; busy makes them a busy session's again, as when
// the change feed reports a change; either kind reads a change once promote
// is closed). Call end with the wait's result.
func (a *Activities) watchSession(ctx context.Context, sessionID string, poll time.Duration, onBudget func(vb365.BudgetWait)) (
	_ context.Context, pollCtx func(promote <-chan struct{}) context.Context, busy func(), end func(*SessionEventsResult, error) (*SessionEventsResult, error)) {
	open := a.cfg.Metrics.SessionWatched()
	ctx, cancel := context.WithCancelCause(vb365.OnBudgetWait(ctx, onBudget))
	remove := a.waits.add(sessionID, cancel)
	start := a.now()
	busy = func() { start = a.now() }
	pollCtx = func(promote <-chan struct{}) context.Context {
		if a.now().Sub(start) > busyFor*poll {
			return vb365.BackgroundUntil(ctx, promote)
		}
		return vb365.ChangedWhen(ctx, promote)
	}
	return ctx, pollCtx, busy, func(res *SessionEventsResult, err error) (*SessionEventsResult, error) {
		remove()
		stopped := errors.Is(context.Cause(ctx), errSessionStopping)
		cancel(nil)
		open()
		if err != nil && stopped {
			return &SessionEventsResult{}, nil
		}
		if err == nil && res != nil {
			a.cfg.Metrics.EventsRecorded(len(res.Events))
		}
		return res, err
	}
}
