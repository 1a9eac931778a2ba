package activities

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// pauseRig runs pauseWait on a testClock, with a feed whose health the test
// sets and a watch the test wakes: one wake, at a set time into the pause,
// ends the pause it falls in there, as the feed reader's would.
type pauseRig struct {
	a      *Activities
	clock  *testClock
	feed   *feedReader
	w      *feedWatch
	wakeAt time.Duration // since the clock's start; 0: no wake
	wake   func()
	sleeps []time.Duration // the pauses asked for, in order
}

func newPauseRig(up bool) *pauseRig {
	r := &pauseRig{a: New(Config{}), clock: newTestClock(), feed: &feedReader{up: up}, w: &feedWatch{}}
	r.a.feed, r.a.now, r.a.sleep = r.feed, r.clock.Now, r.sleep
	return r
}

// setUp says whether the feed works, without the reader's own wakes.
func (r *pauseRig) setUp(up bool) {
	r.feed.mu.Lock()
	defer r.feed.mu.Unlock()
	r.feed.up = up
}

// at schedules the wake: fn runs when the clock reaches at, ending the
// pause it falls in there.
func (r *pauseRig) at(at time.Duration, fn func()) { r.wakeAt, r.wake = at, fn }

func (r *pauseRig) sleep(ctx context.Context, d time.Duration) error {
	r.sleeps = append(r.sleeps, d)
	if r.wake != nil && r.clock.Elapsed()+d >= r.wakeAt {
		wake := r.wake
		r.wake = nil
		if err := r.clock.Sleep(ctx, r.wakeAt-r.clock.Elapsed()); err != nil {
			return err
		}
		wake()
		return ctx.Err()
	}
	return r.clock.Sleep(ctx, d)
}

func (r *pauseRig) pause(ctx context.Context, poll, d time.Duration) (wakeReason, error) {
	return r.a.pauseWait(ctx, r.w, poll, d)
}

// TestFeedDownAtTheIdleCeilingEndsThePause: a feed that fails just when the
// pause has lasted the idle ceiling without it ends the pause there, with
// no further pause: the wait polls at once.
func TestFeedDownAtTheIdleCeilingEndsThePause(t *testing.T) {
	r := newPauseRig(true)
	r.at(2*time.Minute, func() { r.setUp(false); r.w.wake(wakeFeedDown) })
	woke, err := r.pause(context.Background(), 15*time.Second, DefaultSafetyPollInterval)
	require.NoError(t, err)
	require.Equal(t, noWake, woke)
	require.Equal(t, 2*time.Minute, r.clock.Elapsed())
	require.Equal(t, []time.Duration{DefaultSafetyPollInterval}, r.sleeps)
}

// TestWakeAtOnePollIntervalIsPolledAtOnce: a wake that comes one poll
// interval or more after the last poll is not held back: the pause ends
// there, with no pause to top it up.
func TestWakeAtOnePollIntervalIsPolledAtOnce(t *testing.T) {
	r := newPauseRig(true)
	r.at(15*time.Second, func() { r.w.wake(wakeChange) })
	woke, err := r.pause(context.Background(), 15*time.Second, DefaultSafetyPollInterval)
	require.NoError(t, err)
	require.Equal(t, wakeChange, woke)
	require.Equal(t, 15*time.Second, r.clock.Elapsed())
	require.Equal(t, []time.Duration{DefaultSafetyPollInterval}, r.sleeps)
}

// TestEarlyWakeIsHeldToOnePollInterval: a wake sooner than one poll
// interval after the last poll is returned once that interval has passed,
// and a wait cancelled while it holds the wake ends with the cancellation.
func TestEarlyWakeIsHeldToOnePollInterval(t *testing.T) {
	r := newPauseRig(true)
	r.at(5*time.Second, func() { r.w.wake(wakeChange) })
	woke, err := r.pause(context.Background(), 15*time.Second, DefaultSafetyPollInterval)
	require.NoError(t, err)
	require.Equal(t, wakeChange, woke)
	require.Equal(t, 15*time.Second, r.clock.Elapsed())
	require.Equal(t, []time.Duration{DefaultSafetyPollInterval, 10 * time.Second}, r.sleeps)

	r = newPauseRig(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.at(5*time.Second, func() { r.w.wake(wakeChange) })
	r.clock.At(10*time.Second, cancel)
	woke, err = r.pause(ctx, 15*time.Second, DefaultSafetyPollInterval)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, noWake, woke)
}

// TestIdlePauseStaysAtAVeryLongCeiling: once an idle wait's pause has
// doubled up to the ceiling it stays there, at the default ceiling and also
// when the ceiling is more than half the longest duration, up to the
// longest itself (a safety interval set to mean "never"): every poll after
// the first follows a pause, and the wait ends at its MaxWait.
func TestIdlePauseStaysAtAVeryLongCeiling(t *testing.T) {
	for _, safety := range []time.Duration{DefaultSafetyPollInterval, 2_000_000 * time.Hour, math.MaxInt64} {
		t.Run(safety.String(), func(t *testing.T) {
			c := newListLog(1, allSuccess)
			env, a := newEnv(t, c)
			a.cfg.SafetyPollInterval = safety
			clock := newTestClock().install(a)
			in := WaitForSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", RecordedCount: 1, AfterOrder: 0},
				KnownState: vb365.SessionStateWorking, PollInterval: time.Second, MaxWait: 2 * time.Hour}
			// A pause that overflowed would poll without end on the
			// test clock: the guard turns that into a failure.
			done := make(chan struct{})
			var res SessionEventsResult
			var err error
			go func() {
				defer close(done)
				var v converter.EncodedValue
				if v, err = env.ExecuteActivity(a.WaitForSessionEvents, in); err == nil {
					err = v.Get(&res)
				}
			}()
			select {
			case <-done:
			case <-time.After(feedGuard):
				t.Fatal("the wait polls without pausing")
			}
			require.NoError(t, err)
			require.Empty(t, res.Events)
			sleeps := clock.Sleeps()
			// No feed: each pause is cut to the idle ceiling without it
			// (2 minutes), from the 8th on; the doubling goes on beneath
			// the cut.
			require.Greater(t, len(sleeps), 40, "the wait went on past the pause's 33rd doubling")
			require.Equal(t, len(sleeps)+1, res.Polls, "one pause before every poll but the first")
			for i, d := range sleeps[7 : len(sleeps)-1] {
				require.Equal(t, 2*time.Minute, d, "pause %d", i+7)
			}
			require.Equal(t, 2*time.Hour, clock.Elapsed())
		})
	}
}

// TestFetchCountsAPendingEventAtTheCursorOnce: a pending event still
// Running at the cursor's order was counted in the cursor when first seen,
// so the next page is read at the offset right after the page before.
func TestFetchCountsAPendingEventAtTheCursorOnce(t *testing.T) {
	c := newListLog(150, func(i int) string {
		if i == 3 {
			return "Running"
		}
		return "Success"
	})
	res := fetch(t, c, FetchSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", RecordedCount: 4, AfterOrder: 3,
		PastRunning: true, Pending: []PendingRef{{Order: 3, Offset: 3}}}})
	require.Len(t, res.Events, 146)
	require.Equal(t, []int32{3}, ordersOf(eventsOf(res.Running)))
	require.Empty(t, res.Ended)
	require.Equal(t, []vb365.ListOptions{{Offset: 4, Limit: 100}, {Offset: 3, Limit: 1}, {Offset: 104, Limit: 100}}, c.reads)
}

func eventsOf(running []RunningEvent) []vb365.RestoreSessionEvent {
	out := []vb365.RestoreSessionEvent{}
	for _, r := range running {
		out = append(out, r.Event)
	}
	return out
}

// TestIdlePauseNeverPassesTheCeiling: a pause doubled while the change feed
// was down stops at the ceiling (only cut shorter while the feed is down),
// so once the feed is back the safety pause is the safety interval, not a
// doubling past it.
func TestIdlePauseNeverPassesTheCeiling(t *testing.T) {
	f, _, _ := handReader(t, newHandFeed(), nil)
	c := newListLog(1, allSuccess)
	env, a := newEnv(t, c)
	a.feed = f
	clock := newTestClock().install(a)
	clock.At(20*time.Minute, func() { f.mu.Lock(); f.up = true; f.mu.Unlock() })
	in := WaitForSessionEventsInput{SessionCursor: SessionCursor{SessionID: "s", RecordedCount: 1, AfterOrder: 0},
		KnownState: vb365.SessionStateWorking, PollInterval: 15 * time.Second, MaxWait: time.Hour}
	_, err := env.ExecuteActivity(a.WaitForSessionEvents, in)
	require.NoError(t, err)
	sleeps := clock.Sleeps()
	require.Equal(t, 2*time.Minute, sleeps[5], "cut to the idle ceiling while the feed is down")
	require.Contains(t, sleeps, DefaultSafetyPollInterval, "the safety pause once the feed is back")
	require.LessOrEqual(t, slices.Max(sleeps), DefaultSafetyPollInterval)
}
