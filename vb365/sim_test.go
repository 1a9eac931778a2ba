package vb365_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

const (
	simUser     = "sim-operator"
	simPassword = "sim-Pa55word!"
)

// simClock is the simulator's clock, moved by the test.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startSim serves a simulator over plain HTTP; mod adjusts its options.
func startSim(t *testing.T, mod func(*vb365sim.Options)) (*vb365sim.Simulator, *httptest.Server) {
	t.Helper()
	opts := vb365sim.Options{Username: simUser, Password: simPassword}
	if mod != nil {
		mod(&opts)
	}
	sim := vb365sim.New(opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv
}

func simClient(t *testing.T, baseURL string, mod func(*vb365.Config)) *vb365.Client {
	t.Helper()
	cfg := vb365.Config{BaseURL: baseURL, Username: simUser, Password: simPassword, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := vb365.New(cfg)
	require.NoError(t, err)
	return c
}

var seedPoint = time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC)

// The whole restore-session life, on each version the simulator serves.
func TestSimulatorSessionLifecycle(t *testing.T) {
	for _, v := range vb365sim.AllVersions {
		t.Run(v, func(t *testing.T) {
			clock := &simClock{t: time.Now().UTC()}
			sim, srv := startSim(t, func(o *vb365sim.Options) { o.Versions = []string{v}; o.Now = clock.Now })
			c := simClient(t, srv.URL, nil)
			ctx := context.Background()

			got, err := c.Version(ctx)
			require.NoError(t, err)
			assert.Equal(t, vb365.Version(v), got)

			org, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
			require.NoError(t, err)
			assert.Equal(t, "abc.onmicrosoft.com", org.Name)
			assert.True(t, org.IsBackedUp)
			require.NotNil(t, org.LastBackupTime)
			assert.True(t, org.LastBackupTime.Equal(time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)), org.LastBackupTime)

			orgs, err := c.ListOrganizations(ctx)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, len(orgs), 3)
			for _, o := range orgs {
				if o.ID == vb365sim.NeverBackedUpOrganizationID {
					assert.False(t, o.IsBackedUp)
					assert.Nil(t, o.LastBackupTime)
				}
			}

			s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: vb365.SessionTypeTeams})
			require.NoError(t, err)
			assert.Equal(t, vb365.SessionStateWorking, s.State)
			assert.Equal(t, "Vet", s.Type)
			assert.Contains(t, s.Name, "10/30/2020 10:29:05 AM", "the seed's point opens the latest restore point")

			// Let the scripted events happen, then page through them.
			clock.Advance(5 * time.Minute)
			var orders []int32
			for offset := 0; ; {
				p, err := c.ListRestoreSessionEvents(ctx, s.ID, vb365.ListOptions{Offset: offset, Limit: 2})
				require.NoError(t, err)
				for _, e := range p.Results {
					orders = append(orders, e.Order)
				}
				offset += len(p.Results)
				if !p.HasNext || len(p.Results) == 0 {
					break
				}
			}
			require.NotEmpty(t, orders)
			for i, o := range orders {
				assert.Equal(t, int32(i), o, "from 0 (the session's start event), contiguous, in order")
			}
			if v != "v5" {
				p, err := c.ListRestoreSessionEvents(ctx, s.ID, vb365.ListOptions{Limit: 1})
				require.NoError(t, err)
				require.Len(t, p.Results, 1)
				e, err := c.GetRestoreSessionEvent(ctx, s.ID, p.Results[0].ID)
				require.NoError(t, err)
				assert.Equal(t, p.Results[0].Message, e.Message)
			}

			list, err := c.ListRestoreSessions(ctx, vb365.ListRestoreSessionsOptions{ListOptions: vb365.ListOptions{Limit: 10}})
			require.NoError(t, err)
			require.Len(t, list.Results, 1)
			assert.Equal(t, s.ID, list.Results[0].ID)

			require.NoError(t, c.StopRestoreSession(ctx, s.ID))
			require.NoError(t, c.StopRestoreSession(ctx, s.ID), "stopping a stopped session is fine")
			got2, err := c.GetRestoreSession(ctx, s.ID)
			require.NoError(t, err)
			assert.True(t, got2.Stopped())
			assert.NotNil(t, got2.EndTime)
			assert.Equal(t, 1, sim.Stats().TokenLogins)
		})
	}
}

func TestSimulatorStoppedInConsole(t *testing.T) {
	sim, srv := startSim(t, nil)
	c := simClient(t, srv.URL, nil)
	ctx := context.Background()
	s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: "vex"})
	require.NoError(t, err)
	require.NoError(t, sim.StopSession(s.ID))
	require.NoError(t, c.StopRestoreSession(ctx, s.ID))
}

// The token expires under the client's feet (the server's clock jumps): the
// 401 makes it refresh once and retry.
func TestSimulatorExpiredTokenMidUse(t *testing.T) {
	clock := &simClock{t: time.Now().UTC()}
	sim, srv := startSim(t, func(o *vb365sim.Options) { o.Now = clock.Now; o.TokenTTL = time.Hour })
	c := simClient(t, srv.URL, nil)
	ctx := context.Background()
	_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	clock.Advance(2 * time.Hour)
	_, err = c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	st := sim.Stats()
	assert.Equal(t, 1, st.TokenLogins)
	assert.Equal(t, 1, st.TokenRefreshes)
	assert.Equal(t, 3, st.Requests["GET /v8/Organizations/{organizationId}"], "one refused, retried once")
}

func TestSimulatorFaults(t *testing.T) {
	ctx := context.Background()
	explore := "/v8/Organizations/*/explore"
	req := vb365.ExploreRequest{DateTime: seedPoint, Type: vb365.SessionTypeTeams}

	t.Run("401 mid-use", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		c := simClient(t, srv.URL, nil)
		_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
		require.NoError(t, err)
		sim.AddFault(vb365sim.Fault{Method: "GET", Path: "/v8/Organizations/*", Status: 401})
		_, err = c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
		require.NoError(t, err)
		assert.Equal(t, 1, sim.Stats().TokenRefreshes)
	})
	t.Run("503 then success", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		c := simClient(t, srv.URL, nil)
		sim.AddFault(vb365sim.Fault{Method: "POST", Path: explore, Status: 503, RetryAfterSeconds: 3})
		_, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, req)
		require.Error(t, err)
		assert.True(t, vb365.IsTransient(err))
		assert.Equal(t, 503, vb365.StatusCode(err))
		d, ok := vb365.RetryAfter(err)
		assert.True(t, ok)
		assert.Equal(t, 3*time.Second, d)
		assert.Empty(t, sim.Sessions(), "a 503 did nothing")
		s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, req)
		require.NoError(t, err)
		assert.Len(t, sim.Sessions(), 1)
		assert.Equal(t, s.ID, sim.Sessions()[0].ID)
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		c := simClient(t, srv.URL, nil)
		sim.AddFault(vb365sim.Fault{Method: "GET", Path: "/v8/RestoreSessions", Status: 429, RetryAfterSeconds: 11})
		_, err := c.ListRestoreSessions(ctx, vb365.ListRestoreSessionsOptions{})
		assert.True(t, vb365.IsTransient(err))
		d, _ := vb365.RetryAfter(err)
		assert.Equal(t, 11*time.Second, d)
	})
	t.Run("lost response", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		c := simClient(t, srv.URL, nil)
		sim.AddFault(vb365sim.Fault{Method: "POST", Path: explore, DropAfterCommit: true})
		_, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, req)
		require.Error(t, err)
		var e *vb365.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 0, e.StatusCode)
		assert.True(t, vb365.IsTransient(err))
		assert.Len(t, sim.Sessions(), 1, "the server did create the session: the caller must adopt it")
	})
	t.Run("slow server hits the per-request timeout", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		c := simClient(t, srv.URL, func(c *vb365.Config) { c.Timeout = 200 * time.Millisecond })
		sim.AddFault(vb365sim.Fault{Method: "GET", Path: "/v8/RestoreSessions", DelayMs: 2000})
		_, err := c.ListRestoreSessions(ctx, vb365.ListRestoreSessionsOptions{})
		assert.True(t, vb365.IsTransient(err))
		assert.Equal(t, 0, vb365.StatusCode(err))
	})
	t.Run("wrong password", func(t *testing.T) {
		_, srv := startSim(t, nil)
		c := simClient(t, srv.URL, func(c *vb365.Config) { c.Password = "not-it" })
		_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
		assert.True(t, vb365.IsAuthenticationFailure(err))
		assert.False(t, vb365.IsTransient(err))
	})
	t.Run("unknown organization", func(t *testing.T) {
		_, srv := startSim(t, nil)
		c := simClient(t, srv.URL, nil)
		_, err := c.GetOrganization(ctx, "00000000-0000-0000-0000-000000000001")
		assert.Equal(t, 404, vb365.StatusCode(err))
		assert.False(t, vb365.IsTransient(err))
	})
}

func TestSimulatorTLS(t *testing.T) {
	sim := vb365sim.New(vb365sim.Options{Username: simUser, Password: simPassword})
	tlsCfg, caPEM, err := vb365sim.NewSelfSignedTLS([]string{"127.0.0.1", "localhost"})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(sim.Handler())
	srv.TLS = tlsCfg
	srv.StartTLS()
	t.Cleanup(func() { sim.Close(); srv.Close() })
	caFile := filepath.Join(t.TempDir(), "vb365-ca.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o600))
	ctx := context.Background()

	c := simClient(t, srv.URL, func(c *vb365.Config) { c.CAFile = caFile })
	org, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	assert.Equal(t, "abc.onmicrosoft.com", org.Name)

	refused := simClient(t, srv.URL, nil)
	_, err = refused.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.False(t, vb365.IsTransient(err))

	// The certificate names 127.0.0.1 and localhost, nothing else.
	wrongHost := simClient(t, strings.Replace(srv.URL, "127.0.0.1", "127.0.0.2", 1), func(c *vb365.Config) { c.CAFile = caFile; c.Version = vb365.V8 })
	_, err = wrongHost.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.Error(t, err)
}

// Fifty activities at once on one client: one version probe, one login.
func TestSimulatorConcurrentCallersOneLogin(t *testing.T) {
	sim, srv := startSim(t, nil)
	c := simClient(t, srv.URL, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 50 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
				errs <- err
				return
			}
			s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: vb365.SessionTypeExchange})
			errs <- err
			if err == nil {
				_, err = c.ListRestoreSessionEvents(ctx, s.ID, vb365.ListOptions{Limit: 10})
				errs <- err
				errs <- c.StopRestoreSession(ctx, s.ID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := sim.Stats()
	assert.Equal(t, 1, st.TokenLogins)
	assert.Equal(t, 0, st.TokenRefreshes)
	assert.Equal(t, 1, st.Requests["GET /v8/ServiceInstance"])
	assert.Equal(t, 25, st.SessionsCreated)
	assert.Equal(t, 0, st.SessionsOpen)
}
