package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWaitGivesUpAfterTransientBudget: a wait whose polls fail transiently
// for longer than transientBudget fails, naming the session and how long
// VB365 has been failing; a streak of failures that a success interrupts
// starts over.
func TestWaitGivesUpAfterTransientBudget(t *testing.T) {
	fe, id := openSession(t)
	in := waitInput(id, 1, 0)
	in.PollInterval, in.MaxWait = 30*time.Second, time.Hour
	fe.FailPolls(1000)
	clock := newTestClock()
	_, err := runWaitOn(t, fe, in, clock)
	ae := appErr(t, err)
	require.Contains(t, ae.Error(), id)
	// Polls every 30 s from 0: the one at 150 s is the first more than 2
	// minutes into the streak that began at 0.
	require.Contains(t, ae.Error(), "VB365 failing for 2m30s")
	require.Equal(t, transientBudget+30*time.Second, clock.Elapsed())
}

// TestWaitTransientStreakStartsOver: failures before a successful poll do
// not count against the budget of a later streak.
func TestWaitTransientStreakStartsOver(t *testing.T) {
	fe, id := openSession(t)
	in := waitInput(id, 1, 0)
	in.PollInterval, in.MaxWait = 30*time.Second, 10*time.Minute
	// Polls at 0, 30, 60 and 90 s fail, the one at 120 s succeeds (no news:
	// the pause after the next poll doubles to 60 s), those at 150 and 210 s
	// fail and the one at 270 s has news. Counted from 0, the second streak
	// would be past the 2 minutes at 150 s.
	fe.FailPolls(4)
	clock := newTestClock()
	clock.At(150*time.Second, func() { fe.FailPolls(2) })
	clock.At(250*time.Second, func() { fe.AppendEvent(id, "Success", "late") })
	res, err := runWaitOn(t, fe, in, clock)
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.Equal(t, 270*time.Second, clock.Elapsed())
	require.Equal(t, 8, res.Polls)
}

// TestWaitDefaultPollInterval: a wait without a poll interval polls every
// 15 s (then backs off as usual).
func TestWaitDefaultPollInterval(t *testing.T) {
	fe, id := openSession(t)
	in := waitInput(id, 1, 0)
	in.PollInterval, in.MaxWait = 0, 20*time.Second
	clock := newTestClock()
	_, err := runWaitOn(t, fe, in, clock)
	require.NoError(t, err)
	require.Equal(t, []time.Duration{15 * time.Second, 5 * time.Second}, clock.Sleeps())
}

// TestPollAtBusyBoundIsNotBackground: a poll exactly busyFor poll intervals
// into the wait is still the busy session's (failed polls keep the pause at
// one interval: polls at 0, 100 and 200 ms).
func TestPollAtBusyBoundIsNotBackground(t *testing.T) {
	fe, id := openSession(t)
	fe.AppendEvent(id, "Success", "view")
	fe.FailPolls(2)
	cc := &countingClient{VB365API: fe}
	in := waitInput(id, 1, 0)
	in.PollInterval = 100 * time.Millisecond
	_, err := runWaitOn(t, cc, in, newTestClock())
	require.NoError(t, err)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	require.Equal(t, []bool{false, false, false}, cc.background)
}

// TestHeartbeatEvery: a fifth of the heartbeat timeout between 1 and 10 s;
// 5 s without one.
func TestHeartbeatEvery(t *testing.T) {
	require.Equal(t, 5*time.Second, heartbeatEvery(0))
	require.Equal(t, 6*time.Second, heartbeatEvery(30*time.Second))
	require.Equal(t, time.Second, heartbeatEvery(2*time.Second))
	require.Equal(t, 10*time.Second, heartbeatEvery(time.Hour))
}
