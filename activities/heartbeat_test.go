package activities

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestStartHeartbeatsRepeatsUntilStopped: heartbeats come one interval
// apart, again and again, with the details of the moment, and none after
// stop has returned.
func TestStartHeartbeatsRepeatsUntilStopped(t *testing.T) {
	var beats atomic.Int32
	three := make(chan struct{})
	a := &Activities{tuning: tuning{heartbeat: func(_ context.Context, details ...any) {
		require.Equal(t, []any{"progress"}, details)
		if beats.Add(1) == 3 {
			close(three)
		}
	}}}
	stop := a.startHeartbeats(context.Background(), time.Millisecond, func() any { return "progress" })
	select {
	case <-three:
	case <-time.After(feedGuard):
		t.Fatal("fewer than three heartbeats")
	}
	stop()
	n := beats.Load()
	time.Sleep(20 * time.Millisecond) // 20 intervals
	require.Equal(t, n, beats.Load(), "no heartbeat after stop")
}

// TestStartHeartbeatsStopWaitsForTheBeatInFlight: stop returns only once a
// heartbeat being sent has been sent, so that nothing reads the activity's
// progress after the activity has returned.
func TestStartHeartbeatsStopWaitsForTheBeatInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := &Activities{tuning: tuning{heartbeat: func(context.Context, ...any) {
		once.Do(func() { close(entered); <-release })
	}}}
	stop := a.startHeartbeats(context.Background(), time.Millisecond, func() any { return nil })
	<-entered
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while a heartbeat was being sent")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
}
