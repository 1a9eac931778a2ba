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

// TestBudgetCancelledWaiterLeavesTheQueue: a request whose context ends
// while it waits for a slot takes itself out of the queue, not another
// waiter: the one queued behind it still gets the slot when it frees.
func TestBudgetCancelledWaiterLeavesTheQueue(t *testing.T) {
	held, release := releaser()
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v8/Organizations/held" {
			<-held
		}
	})
	t.Cleanup(release)
	b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000})
	host := strings.TrimPrefix(srv.URL, "http://")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/Organizations/held") }()
	require.Eventually(t, func() bool { return srv.cur.Load() == 1 }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := get(ctx, hc, srv.URL+"/v8/RestoreSessions/cancelled"); gaveUp <- err }()
	require.Eventually(t, func() bool { return queued(b, host, prioNormal) == 1 }, 5*time.Second, time.Millisecond)
	served := make(chan struct{})
	go func() { _, _ = get(context.Background(), hc, srv.URL+"/v8/RestoreSessions/behind"); close(served) }()
	require.Eventually(t, func() bool { return queued(b, host, prioNormal) == 2 }, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-gaveUp, context.Canceled)
	release()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("the request queued behind the cancelled one never got the slot")
	}
	wg.Wait()
	require.Equal(t, []string{"/v8/Organizations/held", "/v8/RestoreSessions/behind"}, srv.seen())
}
