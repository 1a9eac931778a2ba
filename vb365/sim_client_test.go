package vb365_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// clockedSim is a v8 simulator and a client on one test clock.
func clockedSim(t *testing.T, mod func(*vb365sim.Options)) (*vb365sim.Simulator, *vb365.Client, *simClock) {
	t.Helper()
	clock := &simClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	sim, srv := startSim(t, func(o *vb365sim.Options) {
		o.Now, o.Versions = clock.Now, []string{"v8"}
		if mod != nil {
			mod(o)
		}
	})
	c := simClient(t, srv.URL, nil)
	vb365.SetClock(c, clock.Now)
	return sim, c, clock
}

// A 90-second token: the renewal margin (10%, at least a minute) is capped at
// half the lifetime, so the client renews after 45 s, not before, and never
// meets a 401. The simulator rotates refresh tokens: the second refresh works
// only with the token the first one returned.
func TestSimulatorShortTokenRenewedAtHalfLifeWithRotatedRefreshToken(t *testing.T) {
	sim, c, clock := clockedSim(t, func(o *vb365sim.Options) { o.TokenTTL = 90 * time.Second })
	ctx := context.Background()
	get := func() {
		t.Helper()
		_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
		require.NoError(t, err)
	}
	get()
	clock.Advance(40 * time.Second) // before half-life: keep the token
	get()
	assert.Equal(t, 0, sim.Stats().TokenRefreshes)
	clock.Advance(10 * time.Second) // 50 s: past half-life, not expired
	get()
	assert.Equal(t, 1, sim.Stats().TokenRefreshes)
	clock.Advance(50 * time.Second) // past half of the refreshed token's life
	get()
	st := sim.Stats()
	assert.Equal(t, 1, st.TokenLogins, "the rotated refresh token was used, no new login")
	assert.Equal(t, 2, st.TokenRefreshes)
	assert.Equal(t, 4, st.Requests["GET /v8/Organizations/{organizationId}"], "no call was refused and retried")
}

// v8 lists restore sessions newest first unless asked otherwise; the client
// reads them in the order asked, and a session created between two page
// reads shifts a newest-first list (the item at the page boundary comes
// again) but not an oldest-first one.
func TestSimulatorSessionListsNewestFirstAndShiftingPages(t *testing.T) {
	sim, c, clock := clockedSim(t, nil)
	ctx := context.Background()
	var ids []string
	open := func() {
		t.Helper()
		s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: vb365.SessionTypeTeams})
		require.NoError(t, err)
		ids = append(ids, s.ID)
		clock.Advance(time.Second)
	}
	for range 4 {
		open()
	}
	list := func(asc bool, offset int) []string {
		t.Helper()
		opts := vb365.ListRestoreSessionsOptions{ListOptions: vb365.ListOptions{Offset: offset, Limit: 2}}
		if asc {
			opts.OrderBy, opts.OrderAsc = vb365.OrderByCreationTime, true
		}
		p, err := c.ListRestoreSessions(ctx, opts)
		require.NoError(t, err)
		var out []string
		for _, s := range p.Results {
			out = append(out, s.ID)
		}
		return out
	}
	assert.Equal(t, []string{ids[3], ids[2]}, list(false, 0), "newest first by default")
	assert.Equal(t, []string{ids[0], ids[1]}, list(true, 0), "oldest first when asked")
	open() // another restore opens its session between two page reads
	assert.Equal(t, []string{ids[2], ids[1]}, list(false, 2), "newest first: the page moved, ids[2] comes again")
	assert.Equal(t, []string{ids[2], ids[3]}, list(true, 2), "oldest first: the next page is where it was")
	assert.Len(t, sim.Sessions(), 5)
}

// A stop VB365 answers 2xx but does not carry out (stopIgnored): the client
// reads the session back and says the stop did not take; the next stop does.
func TestSimulatorStopIgnoredIsNotConfirmed(t *testing.T) {
	sim, c, _ := clockedSim(t, func(o *vb365sim.Options) { o.Behaviour.StopIgnored = new(1) })
	ctx := context.Background()
	s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: vb365.SessionTypeTeams})
	require.NoError(t, err)
	err = c.StopRestoreSession(ctx, s.ID)
	require.True(t, errors.Is(err, vb365.ErrStopNotConfirmed), "got %v", err)
	got, err := c.GetRestoreSession(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, vb365.SessionStateWorking, got.State)

	require.NoError(t, c.StopRestoreSession(ctx, s.ID))
	got, err = c.GetRestoreSession(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, vb365.SessionStateStopped, got.State)
	assert.Equal(t, vb365.SessionStateStopped, sim.Sessions()[0].State)
}

// A server in Europe/Berlin writes organization backup times without a zone,
// in its local time: with ServerTimeZone set, the client reads the instants
// the simulator holds; event times carry the offset and read the same.
func TestSimulatorZonelessTimesInServerZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	_, srv := startSim(t, func(o *vb365sim.Options) {
		o.Versions = []string{"v8"}
		o.Behaviour.TimeZone = new("Europe/Berlin")
	})
	ctx := context.Background()
	c := simClient(t, srv.URL, func(cfg *vb365.Config) { cfg.ServerTimeZone = berlin })
	o, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	require.NotNil(t, o.LastBackupTime)
	assert.True(t, o.LastBackupTime.Equal(time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)), "got %s", o.LastBackupTime)

	// Read as UTC, the same wire text would be an hour off.
	utc := simClient(t, srv.URL, nil)
	o2, err := utc.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, o2.LastBackupTime.Sub(*o.LastBackupTime))
}
