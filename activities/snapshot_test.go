package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// unknownClock is a VB365 whose clock the client cannot read (no Date).
type unknownClock struct{ VB365API }

func (unknownClock) ServerNow(context.Context) (time.Time, bool) { return time.Time{}, false }

// The snapshot before a POST starts a minute before VB365's clock, read from
// its answers, and lists no older session: one VB365 opened 6 minutes
// before (on its clock, 3 minutes behind the worker's) is neither in the
// snapshot nor adopted, while the session of the lost POST is.
func TestSnapshotStartsAMinuteBeforeVB365Clock(t *testing.T) {
	sim, c := newSim(t, vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-9 * time.Minute))})
	ctx := context.Background()
	older, err := c.StartRestoreSession(ctx, orgID, vb365.ExploreRequest{DateTime: createInput().DateTime, Type: vb365.SessionTypeTeams})
	require.NoError(t, err)
	err = sim.SetBehaviour(vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-3 * time.Minute))})
	require.NoError(t, err)
	recent, err := c.StartRestoreSession(ctx, orgID, vb365.ExploreRequest{DateTime: createInput().DateTime, Type: vb365.SessionTypeTeams})
	require.NoError(t, err)

	prog := lostCreate(t, sim, c, vb365sim.Fault{DropAfterCommit: true})
	vb365Now := time.Now().Add(-3 * time.Minute)
	assert.WithinDuration(t, vb365Now.Add(-serverClockMargin), prog.SnapshotFrom, 5*time.Second)
	assert.Equal(t, []string{recent.ID}, prog.PreExisting, "the session of 6 minutes ago is before the snapshot")

	res := retryCreate(t, c, prog)
	require.True(t, res.Adopted)
	assert.NotEqual(t, older.ID, res.Session.ID)
	assert.NotEqual(t, recent.ID, res.Session.ID)
	assert.Len(t, sim.Sessions(), 3, "no second session of ours")
}

// Without VB365's clock, the snapshot covers the whole slack before the send
// time; and a VB365 clock nearly the slack behind (its margin then reaching
// past the slack) or more never starts it earlier than that.
func TestSnapshotCoversTheSlackWithoutVB365Clock(t *testing.T) {
	t.Run("unknown", func(t *testing.T) {
		sim, c := newSim(t, vb365sim.Behaviour{})
		prog := lostCreate(t, sim, unknownClock{c}, vb365sim.Fault{DropAfterCommit: true})
		assert.Equal(t, prog.SendTime.Add(-clockSlack), prog.SnapshotFrom)
	})
	t.Run("less than the margin within the slack", func(t *testing.T) {
		sim, c := newSim(t, vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-clockSlack + serverClockMargin/2))})
		prog := lostCreate(t, sim, c, vb365sim.Fault{DropAfterCommit: true})
		assert.Equal(t, prog.SendTime.Add(-clockSlack), prog.SnapshotFrom)
	})
	t.Run("far behind", func(t *testing.T) {
		sim, c := newSim(t, vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-15 * time.Minute))})
		prog := lostCreate(t, sim, c, vb365sim.Fault{DropAfterCommit: true})
		assert.Equal(t, prog.SendTime.Add(-clockSlack), prog.SnapshotFrom)
	})
}
