package activities

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// feedLog records what the feed reader handled (its test hook): each
// page's changes, or a failure. Tests wait on it, not on time.
type feedLog struct {
	mu      sync.Mutex
	pages   [][]vb365.Change
	ups     []bool
	changed chan struct{}
}

func newFeedLog() *feedLog { return &feedLog{changed: make(chan struct{})} }

func (l *feedLog) hook(page []vb365.Change, up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pages = append(l.pages, page)
	l.ups = append(l.ups, up)
	close(l.changed)
	l.changed = make(chan struct{})
}

// feedGuard bounds a test's wait for the feed reader; reaching it fails the
// test (a broken reader), it times nothing.
const feedGuard = 20 * time.Second

// await waits until cond holds on the log, or until ctx ends (true) when
// ctx is set.
func (l *feedLog) await(t *testing.T, ctx context.Context, cond func(pages [][]vb365.Change, ups []bool) bool) (ctxDone bool) {
	t.Helper()
	guard := time.NewTimer(feedGuard)
	defer guard.Stop()
	for {
		l.mu.Lock()
		ok, ch := cond(l.pages, l.ups), l.changed
		l.mu.Unlock()
		if ok {
			// The reader wakes the waits before it calls the hook: a wake
			// that came with the change has ended ctx by now.
			return ctx != nil && ctx.Err() != nil
		}
		var done <-chan struct{}
		if ctx != nil {
			done = ctx.Done()
		}
		select {
		case <-ch:
		case <-done:
			return true
		case <-guard.C:
			t.Errorf("the feed reader did not get there within %s", feedGuard)
			return false
		}
	}
}

func feedIsUp(_ [][]vb365.Change, ups []bool) bool { return len(ups) > 0 && ups[len(ups)-1] }

func feedIsDown(_ [][]vb365.Change, ups []bool) bool { return len(ups) > 0 && !ups[len(ups)-1] }

// changeOf holds once the feed handled a change of session id.
func changeOf(id string) func([][]vb365.Change, []bool) bool {
	return func(pages [][]vb365.Change, _ []bool) bool {
		for _, p := range pages {
			if slices.ContainsFunc(p, func(c vb365.Change) bool { return strings.EqualFold(c.ID, id) }) {
				return true
			}
		}
		return false
	}
}

// feedSim is a v8 simulator whose sessions have no scripted events (nothing
// changes unless a test says so), a client of it, and two sessions.
func feedSim(t *testing.T, beh vb365sim.Behaviour) (sim *vb365sim.Simulator, c *feedClient, a, b string) {
	t.Helper()
	sc := vb365sim.BuiltinScenario()
	sc.Events = []vb365sim.ScriptedEvent{{Offset: vb365sim.Duration(100 * 24 * time.Hour), Type: "View", Status: "Success", Message: "much later"}}
	sim = vb365sim.New(vb365sim.Options{Versions: []string{"v8"}, Behaviour: beh, Scenario: sc})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { sim.Close(); srv.Close() })
	vc, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: "admin"})
	require.NoError(t, err)
	c = &feedClient{Client: vc}
	var ids []string
	for range 2 {
		s, err := vc.StartRestoreSession(context.Background(), vb365sim.SeedOrganizationID, vb365.ExploreRequest{Type: vb365.SessionTypeExchange})
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	return sim, c, ids[0], ids[1]
}

// feedClient is the real client, recording whether each session read went
// as a background request, and whether it went as a read of a change.
type feedClient struct {
	*vb365.Client
	mu         sync.Mutex
	background []bool
	changed    []bool
	// onRead, when set, runs before the n-th session read is sent (n from 1).
	onRead func(ctx context.Context, n int)
}

func (c *feedClient) GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error) {
	c.mu.Lock()
	c.background = append(c.background, vb365.IsBackground(ctx))
	c.changed = append(c.changed, vb365.IsChanged(ctx))
	n, onRead := len(c.background), c.onRead
	c.mu.Unlock()
	if onRead != nil {
		onRead(ctx, n)
	}
	return c.Client.GetRestoreSession(ctx, id)
}

func (c *feedClient) reads() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.background)
}

func (c *feedClient) changedReads() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.changed)
}

// feedActivities are the activities over c with a feed reader that reports
// to log and retries at once.
func feedActivities(t *testing.T, c VB365API) (*Activities, *feedLog) {
	t.Helper()
	a := New(Config{Client: c})
	require.NotNil(t, a.feed, "the real client reads the feed")
	log := newFeedLog()
	a.feed.seen = log.hook
	a.feed.backoffMin, a.feed.backoffMax, a.feed.coalesce = time.Millisecond, 5*time.Millisecond, time.Millisecond
	a.feed.linger = 0
	return a, log
}

// blockingClock is a testClock whose pauses chosen by block do not pass by
// themselves: they end when the wait's context does (the feed woke it), or
// fail the wait when until holds on the feed's log first (the feed handled
// what should have woken it, and did not).
type blockingClock struct {
	*testClock
	t     *testing.T
	log   *feedLog
	block func(i int) (do func(), until func([][]vb365.Change, []bool) bool)

	mu    sync.Mutex
	n     int
	woken []int
}

// advance moves the clock d forward, as a pause that passed would.
func (c *blockingClock) advance(d time.Duration) {
	c.testClock.mu.Lock()
	defer c.testClock.mu.Unlock()
	c.testClock.t = c.testClock.t.Add(d)
}

var errNotWoken = errors.New("the feed handled the change without waking the wait")

func (c *blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	i := c.n
	c.n++
	c.mu.Unlock()
	if c.block != nil {
		if do, until := c.block(i); until != nil {
			c.testClock.mu.Lock()
			c.testClock.slept = append(c.testClock.slept, d)
			c.testClock.mu.Unlock()
			do()
			if c.log.await(c.t, ctx, until) {
				c.mu.Lock()
				c.woken = append(c.woken, i)
				c.mu.Unlock()
				return ctx.Err()
			}
			return errNotWoken
		}
	}
	return c.testClock.Sleep(ctx, d)
}

func runFeedWait(t *testing.T, a *Activities, clock interface {
	Now() time.Time
	Sleep(context.Context, time.Duration) error
}, in WaitForSessionEventsInput) (*SessionEventsResult, error) {
	t.Helper()
	env, _ := newEnv(t, nil)
	a.now, a.sleep = clock.Now, clock.Sleep
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.WaitForSessionEvents, in)
	if err != nil {
		return nil, err
	}
	var res SessionEventsResult
	require.NoError(t, v.Get(&res))
	return &res, nil
}

// upFirst starts the feed with a watch of its own and waits until it is
// up, so that the wait under test finds it working.
func upFirst(t *testing.T, a *Activities, log *feedLog) {
	t.Helper()
	_, unwatch := a.feed.watch("00000000-0000-0000-0000-000000000000")
	t.Cleanup(unwatch)
	log.await(t, nil, feedIsUp)
}

func idleInput(id string, maxWait time.Duration) WaitForSessionEventsInput {
	return WaitForSessionEventsInput{SessionCursor: SessionCursor{SessionID: id, RecordedCount: 1, AfterOrder: 0},
		KnownState: vb365.SessionStateWorking, PollInterval: 15 * time.Second, MaxWait: maxWait}
}

// TestFeedWakesWaitOnChange: an idle wait (its polls gone background) whose
// session gets an event is woken by the feed at once, without its pause
// passing, and polls as a busy session: the event comes back.
func TestFeedWakesWaitOnChange(t *testing.T) {
	sim, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	clock := &blockingClock{testClock: newTestClock(), t: t, log: log}
	clock.block = func(i int) (func(), func([][]vb365.Change, []bool) bool) {
		if i < 2 { // 15 s and the 10-minute safety pause pass: the third poll is an idle one
			return nil, nil
		}
		return func() {
			clock.advance(time.Minute) // a minute into the third pause
			require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Type: "View", Message: "viewed"}))
		}, changeOf(id)
	}
	res, err := runFeedWait(t, a, clock, idleInput(id, time.Hour))
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.Equal(t, "viewed", res.Events[0].Message)
	require.Equal(t, []int{2}, clock.woken)
	require.Equal(t, 15*time.Second+DefaultSafetyPollInterval+time.Minute, clock.Elapsed(), "woken at once: the third pause did not pass")
	require.Equal(t, []bool{false, false, true, false}, c.reads(), "the poll after the wake is a busy session's")
	require.Equal(t, []bool{false, false, false, true}, c.changedReads(), "and reads the change ahead of ordinary requests")
}

// TestFeedWakeKeepsOnePollPerInterval: a change 2 s into a busy session's
// first pause wakes the wait, but its next poll still comes one poll
// interval after the last, and reads both events appended meanwhile in
// one batch.
func TestFeedWakeKeepsOnePollPerInterval(t *testing.T) {
	sim, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	clock := &blockingClock{testClock: newTestClock(), t: t, log: log}
	clock.block = func(i int) (func(), func([][]vb365.Change, []bool) bool) {
		if i > 0 {
			return nil, nil
		}
		return func() {
			clock.advance(2 * time.Second)
			require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "first"}))
		}, changeOf(id)
	}
	clock.At(10*time.Second, func() { require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "second"})) })
	res, err := runFeedWait(t, a, clock, idleInput(id, time.Hour))
	require.NoError(t, err)
	require.Equal(t, []int{0}, clock.woken)
	require.Equal(t, 15*time.Second, clock.Elapsed(), "the poll after the wake waits out the poll interval")
	require.Len(t, res.Events, 2, "both events in one batch")
	require.Equal(t, []bool{false, false}, c.reads(), "two polls: at once and one poll interval later")
	require.Equal(t, []bool{false, true}, c.changedReads(), "the second reads the change")
}

// TestFeedChangePromotesAQueuedIdlePoll: an idle session's poll goes as a
// background request, which may wait behind every other request of the
// worker; when the feed reports a change of the session meanwhile, the
// request is promoted to a read of a change (vb365.BackgroundUntil), so the
// change is not read only after the whole background queue.
func TestFeedChangePromotesAQueuedIdlePoll(t *testing.T) {
	sim, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	var promoted []bool
	c.onRead = func(ctx context.Context, n int) {
		if n != 3 { // the third read is the first idle one
			return
		}
		require.True(t, vb365.IsBackground(ctx))
		require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "while queued"}))
		log.await(t, nil, changeOf(id))
		promoted = append(promoted, !vb365.IsBackground(ctx) && vb365.IsChanged(ctx))
	}
	res, err := runFeedWait(t, a, newTestClock(), idleInput(id, time.Hour))
	require.NoError(t, err)
	require.Equal(t, []bool{true}, promoted, "the change promoted the queued idle poll")
	require.Len(t, res.Events, 1)
}

// TestFeedDoesNotWakeOtherSessions: a change of another session does not
// end the wait's pause.
func TestFeedDoesNotWakeOtherSessions(t *testing.T) {
	sim, c, id, other := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	clock := &blockingClock{testClock: newTestClock(), t: t, log: log}
	clock.block = func(i int) (func(), func([][]vb365.Change, []bool) bool) {
		if i > 0 {
			return nil, nil
		}
		return func() { require.NoError(t, sim.AppendEvent(other, vb365sim.EventInput{Message: "elsewhere"})) }, changeOf(other)
	}
	_, err := runFeedWait(t, a, clock, idleInput(id, 10*time.Second))
	require.ErrorContains(t, err, errNotWoken.Error(), "the feed handled the other session's change; this wait was not woken")
	require.Empty(t, clock.woken)
}

// TestFeedUpRaisesIdleCeiling: while the feed works, idle polls are a
// safety net: after the two polls of a busy session (at once and one poll
// interval later) the pause is SafetyPollInterval (10 minutes), not the 2
// minutes of VB365_IDLE_REQUESTS_PER_MINUTE, and it does not double its way
// there.
func TestFeedUpRaisesIdleCeiling(t *testing.T) {
	_, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	clock := newTestClock()
	_, err := runFeedWait(t, a, clock, idleInput(id, 40*time.Minute))
	require.NoError(t, err)
	require.Equal(t, DefaultSafetyPollInterval, slices.Max(clock.Sleeps()))
	require.Equal(t, []time.Duration{15 * time.Second, DefaultSafetyPollInterval, DefaultSafetyPollInterval}, clock.Sleeps()[:3])
}

// TestFeedOffFallsBack: without the feed (the server answers 404) the waits
// keep today's idle ceiling, and nothing fails.
func TestFeedOffFallsBack(t *testing.T) {
	_, c, id, _ := feedSim(t, vb365sim.Behaviour{ChangeFeedOff: new(true)})
	a, log := feedActivities(t, c)
	_, unwatch := a.feed.watch("00000000-0000-0000-0000-000000000000")
	defer unwatch()
	log.await(t, nil, feedIsDown)
	clock := newTestClock()
	_, err := runFeedWait(t, a, clock, idleInput(id, 40*time.Minute))
	require.NoError(t, err)
	require.Equal(t, a.idleCeiling(15*time.Second), slices.Max(clock.Sleeps()))
	require.Equal(t, 2*time.Minute, a.idleCeiling(15*time.Second))
}

// TestFeedRecoveryPollsEveryWatchedSession: an event added while the feed
// is off is never in the feed (a server turning it back on starts a new
// log); when the feed comes back, every watched wait is woken to poll once,
// and this one finds the event.
func TestFeedRecoveryPollsEveryWatchedSession(t *testing.T) {
	sim, c, id, _ := feedSim(t, vb365sim.Behaviour{ChangeFeedOff: new(true)})
	a, log := feedActivities(t, c)
	_, unwatch := a.feed.watch("00000000-0000-0000-0000-000000000000")
	defer unwatch()
	log.await(t, nil, feedIsDown)
	clock := &blockingClock{testClock: newTestClock(), t: t, log: log}
	clock.block = func(i int) (func(), func([][]vb365.Change, []bool) bool) {
		if i > 0 {
			return nil, nil
		}
		return func() {
			require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "unseen"}))
			require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ChangeFeedOff: new(false)}))
		}, feedIsUp
	}
	res, err := runFeedWait(t, a, clock, idleInput(id, time.Hour))
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.Equal(t, "unseen", res.Events[0].Message)
	require.Equal(t, []int{0}, clock.woken)
}

// TestFeedStopsWithTheLastWait: the reader runs while a wait does and has
// stopped (its goroutine returned) when the last wait has ended.
func TestFeedStopsWithTheLastWait(t *testing.T) {
	_, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, _ := feedActivities(t, c)
	require.False(t, a.feed.running())
	clock := newTestClock()
	ran := false
	clock.At(time.Second, func() { ran = a.feed.running() })
	_, err := runFeedWait(t, a, clock, idleInput(id, time.Minute))
	require.NoError(t, err)
	require.True(t, ran, "the reader runs during the wait")
	require.False(t, a.feed.running(), "and has stopped after it")
	require.False(t, a.feed.healthy())
}

// TestFeedDownCutsSafetyPause: a wait pausing for the safety net's 10
// minutes when the feed fails is told: its pause is cut to the idle ceiling
// without the feed (2 minutes from its start).
func TestFeedDownCutsSafetyPause(t *testing.T) {
	sim, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, log := feedActivities(t, c)
	upFirst(t, a, log)
	clock := &blockingClock{testClock: newTestClock(), t: t, log: log}
	clock.block = func(i int) (func(), func([][]vb365.Change, []bool) bool) {
		if i != 2 { // 15 s and one safety pause pass; the third pause is 10 minutes too
			return nil, nil
		}
		return func() { require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ChangeFeedOff: new(true)})) }, feedIsDown
	}
	_, err := runFeedWait(t, a, clock, idleInput(id, 40*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []int{2}, clock.woken)
	sleeps := clock.Sleeps()
	require.Equal(t, []time.Duration{DefaultSafetyPollInterval, 2 * time.Minute}, sleeps[2:4])
	require.Len(t, c.reads(), len(sleeps), "one poll per pause and the first: the cut pause goes on without a poll")
}

// pauseLog is a feed reader's pause (its sleep) that passes at once and is
// recorded.
type pauseLog struct {
	mu     sync.Mutex
	pauses []time.Duration
}

func (l *pauseLog) sleep(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	l.pauses = append(l.pauses, d)
	l.mu.Unlock()
	return ctx.Err()
}

// slept lists the pauses so far.
func (l *pauseLog) slept() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.pauses...)
}

// scriptedFeed answers ListChanges from a script, then blocks until the
// reader stops; it records every From and every pause of the reader.
type scriptedFeed struct {
	pauseLog
	mu      sync.Mutex
	script  []func() (*vb365.ChangesPage, error)
	froms   []string
	waits   []time.Duration
	drained chan struct{}
}

func (s *scriptedFeed) ListChanges(ctx context.Context, o vb365.ChangesOptions) (*vb365.ChangesPage, error) {
	s.mu.Lock()
	s.froms = append(s.froms, o.From)
	s.waits = append(s.waits, o.Wait)
	if len(s.script) == 0 {
		s.mu.Unlock()
		close(s.drained)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	next := s.script[0]
	s.script = s.script[1:]
	s.mu.Unlock()
	return next()
}

func (s *scriptedFeed) MaxChangesWait() time.Duration { return 15 * time.Second }

// TestFeedReaderTokensAndBackoff: the reader starts from latest without a
// wait, long-polls from each page's token, keeps its token over a
// transient failure and goes back to latest when VB365 refuses it (even
// with a transient status) or the feed is gone (404), backs
// off after failures and pauses briefly after a page with changes.
func TestFeedReaderTokensAndBackoff(t *testing.T) {
	page := func(next string, ids ...string) func() (*vb365.ChangesPage, error) {
		return func() (*vb365.ChangesPage, error) {
			p := &vb365.ChangesPage{NextToken: next}
			for _, id := range ids {
				p.Changes = append(p.Changes, vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: id, ETag: 2})
			}
			return p, nil
		}
	}
	fail := func(status int, code string) func() (*vb365.ChangesPage, error) {
		return func() (*vb365.ChangesPage, error) { return nil, &vb365.Error{StatusCode: status, ErrorCode: code} }
	}
	s := &scriptedFeed{drained: make(chan struct{}), script: []func() (*vb365.ChangesPage, error){
		page("t1"), fail(503, ""), fail(503, ""), page("t2", "x"), fail(500, vb365.ErrorCodeOutdatedChangeToken), page("t3"),
		fail(404, "ResourceNotFound"), page("t4"),
	}}
	f := newFeedReader(s, nil, nil)
	f.backoffMin, f.backoffMax, f.coalesce, f.sleep, f.linger = 10*time.Millisecond, time.Hour, 7*time.Millisecond, s.sleep, 0
	_, unwatch := f.watch("s")
	select {
	case <-s.drained:
	case <-time.After(feedGuard):
		t.Fatal("the reader did not read through the script")
	}
	unwatch()
	require.Equal(t, []string{"latest", "t1", "t1", "t1", "t2", "latest", "t3", "latest", "t4"}, s.froms)
	w := 15 * time.Second
	require.Equal(t, []time.Duration{0, w, w, w, w, 0, w, 0, w}, s.waits)
	ms := time.Millisecond
	require.Equal(t, []time.Duration{10 * ms, 20 * ms, 7 * ms, 10 * ms, 10 * ms}, s.slept())
	require.False(t, f.running())
}

// TestFeedLingersForTheNextWait: the reader outlives the last wait by
// linger, so the workflow's next wait finds it running (no second start,
// no read from latest, no poll of every session); once linger passes
// without a wait it stops.
func TestFeedLingersForTheNextWait(t *testing.T) {
	_, c, id, _ := feedSim(t, vb365sim.Behaviour{})
	a, _ := feedActivities(t, c)
	a.feed.linger = time.Hour // expire is called by the test
	for range 2 {
		_, err := runFeedWait(t, a, newTestClock(), idleInput(id, time.Minute))
		require.NoError(t, err)
		require.True(t, a.feed.running(), "still running after the wait")
	}
	a.feed.mu.Lock()
	starts := a.feed.starts
	a.feed.mu.Unlock()
	require.Equal(t, 1, starts, "the second wait found the reader running")
	_, unwatch := a.feed.watch(id)
	a.feed.expire() // a linger that fired as a wait came: the wait keeps the reader
	require.True(t, a.feed.running())
	unwatch()
	a.feed.expire()
	require.False(t, a.feed.running(), "stopped once linger passed without a wait")
}

// TestFeedWatchChanges: the channel of changes closes at a change only (a
// recovery polls the session as an idle one), and is closed at once while
// a change is pending; a nil watch's never closes.
func TestFeedWatchChanges(t *testing.T) {
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	w := &feedWatch{}
	ch := w.changes()
	require.False(t, isClosed(ch))
	w.wake(wakeRecovery)
	require.False(t, isClosed(ch), "a recovery promotes nothing")
	w.wake(wakeChange)
	require.True(t, isClosed(ch))
	require.True(t, isClosed(w.changes()), "a change is pending")
	require.False(t, isClosed((*feedWatch)(nil).changes()))

	// A pause that ended on a change: the next poll reads it, the one
	// after does not.
	w = &feedWatch{}
	w.wake(wakeChange)
	r, err := w.pause(context.Background(), time.Hour, func(context.Context, time.Duration) error { return nil })
	require.NoError(t, err)
	require.Equal(t, wakeChange, r)
	require.True(t, isClosed(w.changes()), "the poll after the wake reads the change")
	require.False(t, isClosed(w.changes()), "the next one reads no change")
}
