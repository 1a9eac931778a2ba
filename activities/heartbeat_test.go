package activities

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
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

// countHeartbeats counts the heartbeats a's activities send (before the
// SDK, which may hold some back).
func countHeartbeats(a *Activities) *atomic.Int32 {
	var n atomic.Int32
	send := a.heartbeat
	a.heartbeat = func(ctx context.Context, details ...any) { n.Add(1); send(ctx, details...) }
	return &n
}

// TestActivityNotHeldUpSendsNoHeartbeat: an activity's own heartbeats come
// every heartbeatEvery of its heartbeat timeout (5s without one), the first
// one interval after the start, so an activity whose requests are not held
// up sends none.
func TestActivityNotHeldUpSendsNoHeartbeat(t *testing.T) {
	_, c := newSim(t, vb365sim.Behaviour{})
	env, a := newEnv(t, c)
	beats := countHeartbeats(a)
	_, err := env.ExecuteActivity(a.GetOrganization, orgID)
	require.NoError(t, err)
	require.Zero(t, beats.Load())
}

// TestRestoreActionWithoutPollIntervalHeartbeatsEveryFiveSeconds: a restore
// action's input without a poll interval takes 5s, which is also its
// heartbeat interval: a restore that ends sooner sends only the heartbeats
// of its phases, as one with a long interval does.
func TestRestoreActionWithoutPollIntervalHeartbeatsEveryFiveSeconds(t *testing.T) {
	counts := map[time.Duration]int32{}
	for _, poll := range []time.Duration{0, time.Hour} {
		rig := newRestoreRig(t, "v7", vb365.SessionTypeExchange)
		beats := countHeartbeats(rig.a)
		in := rig.input(RestoreAction{Kind: RestoreKindMailbox, Target: vb365sim.MailboxAlex, CredentialProfile: "m365-admin"})
		in.PollInterval = poll
		_, err := rig.env.ExecuteActivity(rig.a.RestoreAction, in)
		require.NoError(t, err)
		counts[poll] = beats.Load()
	}
	require.Equal(t, counts[time.Hour], counts[0], "heartbeats without a poll interval and with an hour's")
}
