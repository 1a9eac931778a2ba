package activities

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// testClock is a clock the waits run on in tests instead of the real one:
// a sleep moves it forward at once, running on the way whatever the test
// scheduled for that moment (an event VB365 adds, a stop), so a wait's
// polls fall at exact times however loaded the machine is.
type testClock struct {
	mu    sync.Mutex
	start time.Time
	t     time.Time
	due   []scheduled
	slept []time.Duration
}

// maxTestSleeps ends a wait that would loop for ever on a clock that no
// longer moves (a pause of 0), so that such a mutant fails at once.
const maxTestSleeps = 10000

type scheduled struct {
	at time.Duration // since the clock's start
	fn func()
}

func newTestClock() *testClock {
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	return &testClock{start: start, t: start}
}

// install makes a's waits run on c.
func (c *testClock) install(a *Activities) *testClock {
	a.now, a.sleep = c.Now, c.Sleep
	return c
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Elapsed is how far the clock moved since it started.
func (c *testClock) Elapsed() time.Duration { return c.Now().Sub(c.start) }

// At runs fn when the clock reaches start+at.
func (c *testClock) At(at time.Duration, fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.due = append(c.due, scheduled{at, fn})
	sort.SliceStable(c.due, func(i, j int) bool { return c.due[i].at < c.due[j].at })
}

// Sleeps are the pauses asked for, in order.
func (c *testClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// Sleep moves the clock d forward, running what falls due on the way; like
// sleep, it returns the context's error if it is done.
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	if len(c.slept) > maxTestSleeps {
		c.mu.Unlock()
		return errors.New("testClock: the wait slept more than maxTestSleeps times (a pause of 0 loops for ever)")
	}
	until := c.t.Add(d)
	for len(c.due) > 0 && !c.start.Add(c.due[0].at).After(until) {
		next := c.due[0]
		c.due = c.due[1:]
		c.t = c.start.Add(next.at)
		c.mu.Unlock()
		next.fn()
		c.mu.Lock()
	}
	c.t = until
	c.mu.Unlock()
	return ctx.Err()
}
