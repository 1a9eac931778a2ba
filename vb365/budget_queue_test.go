package vb365

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestBudgetQueueEmptiesAfterTheWait: a request that waited for a slot
// counts in the queue gauge while it waits and no more once it has its
// slot; when every request is done no slot is held.
func TestBudgetQueueEmptiesAfterTheWait(t *testing.T) {
	held, release := releaser()
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) { <-held })
	t.Cleanup(release)
	m := NewMetrics(prometheus.NewRegistry())
	b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000, Metrics: m})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/Organizations") }()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	require.Eventually(t, func() bool { return srv.cur.Load() == 1 && queued(b, host, prioNormal) == 1 },
		5*time.Second, time.Millisecond, "one request sent, one waiting")
	require.Equal(t, 1.0, testutil.ToFloat64(m.budgetQueue.WithLabelValues("api")))
	release()
	wg.Wait()
	require.Zero(t, testutil.ToFloat64(m.budgetQueue.WithLabelValues("api")), "the waiter left the queue")
	h := b.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Zero(t, h.inFlight, "every slot freed")
}
