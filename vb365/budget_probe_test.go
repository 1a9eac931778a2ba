package vb365

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestBudgetProbeAnsweredCountsNoPause: the request sent when a pause ends
// (the probe) is answered 200: that is no pause, and only the 429 that
// started the pause is counted as one.
func TestBudgetProbeAnsweredCountsNoPause(t *testing.T) {
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v8/first" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	m := NewMetrics(prometheus.NewRegistry())
	// MaxPause cuts the Retry-After of 1 s (the shortest a server can ask
	// for) to 10 ms: the test waits for the pause without a second of real time.
	_, hc := budgetClient(t, BudgetOptions{MaxRate: 1000, Metrics: m, MaxPause: 10 * time.Millisecond})
	code, err := get(context.Background(), hc, srv.URL+"/v8/first")
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, code)
	code, err = get(context.Background(), hc, srv.URL+"/v8/Organizations")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, 1, testutil.CollectAndCount(m.pauses), "one pause, of the 429")
	require.Equal(t, 1.0, testutil.ToFloat64(m.pauses.WithLabelValues("429")))
}
