package vb365_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// ServerNow reads VB365's clock from the Date header of its answers: the
// first call logs in (and sends nothing else) to get one; later calls add
// the worker's time since to the offset the latest answer gave; and since
// Date is to the second, the estimate is never later than VB365's clock.
func TestServerNowIsVB365ClockFromItsDateHeader(t *testing.T) {
	sim, c, clock := clockedSim(t, func(o *vb365sim.Options) {
		o.Behaviour.ClockSkew = new(vb365sim.Duration(-3 * time.Minute))
	})
	ctx := context.Background()
	vb365Now := func() time.Time { return clock.Now().Add(-3 * time.Minute) }

	now, ok := c.ServerNow(ctx)
	require.True(t, ok)
	assert.Equal(t, vb365Now(), now, "the test clock is on a whole second: the Date header is exact")
	st := sim.Stats()
	assert.Equal(t, 1, st.TokenLogins, "the first call logs in to read the clock")
	assert.Equal(t, 1, st.Requests["POST /v8/token"], "and sends nothing else")

	clock.Advance(1700 * time.Millisecond)
	now, ok = c.ServerNow(ctx)
	require.True(t, ok)
	assert.Equal(t, vb365Now(), now, "the worker's clock carries the offset forward")
	assert.Equal(t, 1, sim.Stats().TokenLogins, "without another request")

	// An answer sent 600 ms into a second says the second's start: the
	// estimate is early by those 600 ms, never late.
	clock.Advance(8900 * time.Millisecond)
	_, err := c.GetOrganization(ctx, vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	now, ok = c.ServerNow(ctx)
	require.True(t, ok)
	assert.Equal(t, vb365Now().Add(-600*time.Millisecond), now)
}

// noDate strips the Date header from every answer.
type noDate struct{ http.ResponseWriter }

func (w noDate) WriteHeader(code int) {
	w.Header()["Date"] = nil // present and empty: net/http adds none
	w.ResponseWriter.WriteHeader(code)
}

func (w noDate) Write(b []byte) (int, error) {
	w.Header()["Date"] = nil
	return w.ResponseWriter.Write(b)
}

// A server that sends no Date leaves VB365's clock unknown, after the one
// login ServerNow tries; the caller then falls back to its own slack.
func TestServerNowUnknownWithoutDateHeader(t *testing.T) {
	sim := vb365sim.New(vb365sim.Options{Username: simUser, Password: simPassword, Versions: []string{"v8"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.Handler().ServeHTTP(noDate{w}, r)
	}))
	t.Cleanup(func() { sim.Close(); srv.Close() })
	c := simClient(t, srv.URL, nil)

	_, err := c.GetOrganization(context.Background(), vb365sim.SeedOrganizationID)
	require.NoError(t, err)
	_, ok := c.ServerNow(context.Background())
	assert.False(t, ok)
	assert.Equal(t, 1, sim.Stats().TokenLogins)
}
