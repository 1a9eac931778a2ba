package vb365

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// budgetServer is an httptest server whose handler the test scripts; it
// counts the requests being handled at once.
type budgetServer struct {
	*httptest.Server
	cur, peak atomic.Int32
	mu        sync.Mutex
	arrivals  []string // paths, in arrival order
	handle    func(w http.ResponseWriter, r *http.Request)
}

func newBudgetServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *budgetServer {
	s := &budgetServer{handle: handle}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.cur.Add(1)
		defer s.cur.Add(-1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		s.mu.Lock()
		s.arrivals = append(s.arrivals, r.URL.Path)
		s.mu.Unlock()
		if s.handle != nil {
			s.handle(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *budgetServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.arrivals...)
}

func budgetClient(t *testing.T, o BudgetOptions) (*Budget, *http.Client) {
	b, err := NewBudget(o)
	require.NoError(t, err)
	return b, &http.Client{Transport: b.Wrap(nil)}
}

func get(ctx context.Context, hc *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func queued(b *Budget, host string, prio int) int {
	h := b.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.queue[prio])
}

// releaser is a channel the handlers block on, closed once by the test or,
// when it fails early, by a cleanup registered after the server's (cleanups
// run last first) so that the server's Close does not wait for them forever.
func releaser() (ch chan struct{}, release func()) {
	ch = make(chan struct{})
	var once sync.Once
	return ch, func() { once.Do(func() { close(ch) }) }
}

func TestBudgetCapsRequestsInFlight(t *testing.T) {
	held, release := releaser()
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) { <-held })
	t.Cleanup(release)
	b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 3, MaxRate: 1000})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/Organizations") }()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	require.Eventually(t, func() bool { return srv.cur.Load() == 3 && queued(b, host, prioNormal) == 7 },
		5*time.Second, time.Millisecond, "three requests reach the server, seven wait")
	release()
	wg.Wait()
	assert.Equal(t, int32(3), srv.peak.Load(), "never more than MaxInFlight at once")
	assert.Len(t, srv.seen(), 10, "every request is sent in the end")
}

// TestBudgetRate: 11 requests at 20 per second need at least half a second
// (the limiter's burst is one). A lower bound: a slow machine cannot fail it.
func TestBudgetRate(t *testing.T) {
	srv := newBudgetServer(t, nil)
	_, hc := budgetClient(t, BudgetOptions{MaxInFlight: 50, MaxRate: 20})
	start := time.Now()
	var wg sync.WaitGroup
	for range 11 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/Organizations") }()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, time.Since(start), 475*time.Millisecond, "10 intervals of 50 ms")
	assert.Len(t, srv.seen(), 11)
}

func TestBudgetTokenRequestsGoFirst(t *testing.T) {
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
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/RestoreSessions") }()
	}
	require.Eventually(t, func() bool { return queued(b, host, prioNormal) == 4 }, 5*time.Second, time.Millisecond)
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/token") }()
	require.Eventually(t, func() bool { return queued(b, host, prioToken)+queued(b, host, prioNormal) == 5 }, 5*time.Second, time.Millisecond)
	release()
	wg.Wait()
	got := srv.seen()
	require.Len(t, got, 6)
	assert.Equal(t, "/v8/token", got[1], "the token request overtakes the four queued before it: %v", got)
}

// TestBudgetBackgroundRequestsGoLast: an idle session's background polls
// queued first still let a later ordinary request through first.
func TestBudgetBackgroundRequestsGoLast(t *testing.T) {
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
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = get(Background(context.Background()), hc, srv.URL+"/v8/RestoreSessions/idle")
		}()
	}
	require.Eventually(t, func() bool { return queued(b, host, prioBackground) == 3 }, 5*time.Second, time.Millisecond)
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/RestoreSessions/busy") }()
	require.Eventually(t, func() bool { return queued(b, host, prioNormal)+queued(b, host, prioBackground) == 4 }, 5*time.Second, time.Millisecond)
	release()
	wg.Wait()
	got := srv.seen()
	require.Len(t, got, 5)
	assert.Equal(t, "/v8/RestoreSessions/busy", got[1], "the ordinary request overtakes the background ones: %v", got)
}

// TestBudgetPromotedRequestReadsAChange: a request whose promotion comes
// while it waits for a slot leaves its queue for that of changed reads,
// background (BackgroundUntil) or ordinary (ChangedWhen) alike; one whose
// promotion came before it was sent joins that queue at once. Changed reads
// and ordinary requests then take turns, starting with a changed read, and
// background requests go last.
func TestBudgetPromotedRequestReadsAChange(t *testing.T) {
	held, release := releaser()
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v8/Organizations/held" {
			<-held
		}
	})
	t.Cleanup(release)
	m := NewMetrics(prometheus.NewRegistry())
	b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000, Metrics: m})
	host := strings.TrimPrefix(srv.URL, "http://")
	var wg sync.WaitGroup
	total := func() int {
		n := 0
		for prio := range priorities {
			n += queued(b, host, prio)
		}
		return n
	}
	send := func(ctx context.Context, path string) {
		before := total()
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(ctx, hc, srv.URL+path) }()
		require.Eventually(t, func() bool { return total() == before+1 }, 5*time.Second, time.Millisecond)
	}
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/Organizations/held") }()
	require.Eventually(t, func() bool { return srv.cur.Load() == 1 }, 5*time.Second, time.Millisecond)
	woken, busy, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	close(done)
	send(Background(context.Background()), "/v8/RestoreSessions/idle")
	send(BackgroundUntil(context.Background(), woken), "/v8/RestoreSessions/woken")
	send(context.Background(), "/v8/Organizations/a")
	send(ChangedWhen(context.Background(), busy), "/v8/RestoreSessions/busy")
	send(context.Background(), "/v8/Organizations/b")
	send(ChangedWhen(context.Background(), done), "/v8/RestoreSessions/changed")
	send(context.Background(), "/v8/Organizations/c")
	require.Equal(t, 1, queued(b, host, prioChanged), "a request promoted before it was sent")
	require.True(t, IsBackground(BackgroundUntil(context.Background(), woken)))
	require.False(t, IsChanged(ChangedWhen(context.Background(), busy)))
	close(woken) // first, so that the changed reads' queue order is known
	require.Eventually(t, func() bool { return queued(b, host, prioChanged) == 2 }, 5*time.Second, time.Millisecond)
	close(busy)
	require.False(t, IsBackground(BackgroundUntil(context.Background(), woken)), "promoted")
	require.True(t, IsChanged(BackgroundUntil(context.Background(), woken)))
	require.True(t, IsChanged(ChangedWhen(context.Background(), busy)))
	require.Eventually(t, func() bool { return queued(b, host, prioChanged) == 3 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 3, queued(b, host, prioNormal))
	require.Equal(t, 1, queued(b, host, prioBackground))
	require.Equal(t, 3.0, testutil.ToFloat64(m.budgetQueue.WithLabelValues("changed")))
	require.Equal(t, 3.0, testutil.ToFloat64(m.budgetQueue.WithLabelValues("api")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.budgetQueue.WithLabelValues("background")))
	release()
	wg.Wait()
	require.Equal(t, []string{"/v8/Organizations/held",
		"/v8/RestoreSessions/changed", "/v8/Organizations/a",
		"/v8/RestoreSessions/woken", "/v8/Organizations/b",
		"/v8/RestoreSessions/busy", "/v8/Organizations/c",
		"/v8/RestoreSessions/idle"}, srv.seen())
	for _, kind := range []string{"changed", "api", "background"} {
		require.Zero(t, testutil.ToFloat64(m.budgetQueue.WithLabelValues(kind)), kind)
	}
	// The waits are counted by the kind each request was sent as: the one
	// promoted before it was sent as a changed read.
	require.Equal(t, 3, testutil.CollectAndCount(m.budgetWait), "api, background and changed")
}

// TestBudgetRetryAfterPausesEveryCaller: a 429 with Retry-After holds back
// the other callers, not just the one; after the pause one request goes
// first and the rest follow only once it succeeds.
func TestBudgetRetryAfterPausesEveryCaller(t *testing.T) {
	var throttledAt atomic.Int64
	var afterPause []time.Time
	var mu sync.Mutex
	probeHeld := make(chan struct{})
	var during atomic.Int32 // requests that arrived while the probe was held
	var probing atomic.Bool
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v8/first" {
			throttledAt.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if probing.Load() {
			during.Add(1)
		}
		mu.Lock()
		afterPause = append(afterPause, time.Now())
		first := len(afterPause) == 1
		mu.Unlock()
		if first {
			probing.Store(true)
			<-probeHeld
			probing.Store(false)
		}
	})
	b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 8, MaxRate: 1000})
	host := strings.TrimPrefix(srv.URL, "http://")

	code, err := get(context.Background(), hc, srv.URL+"/v8/first")
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, code)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = get(context.Background(), hc, srv.URL+"/v8/others") }()
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(afterPause) == 1 }, 5*time.Second, time.Millisecond)
	// Let the other three have every chance to overtake the probe.
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, during.Load(), "no request goes while the first one after the pause is out")
	close(probeHeld)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, afterPause, 4)
	pauseEnd := time.Unix(0, throttledAt.Load()).Add(time.Second)
	for _, at := range afterPause {
		assert.False(t, at.Before(pauseEnd.Add(-10*time.Millisecond)), "a request reached the server %s before the pause ended", pauseEnd.Sub(at))
	}
	h := b.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.False(t, h.probing, "an unthrottled answer ends the probing")
}

func TestBudgetWaitEndsWithTheContext(t *testing.T) {
	t.Run("waiting for a slot", func(t *testing.T) {
		held, release := releaser()
		srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) { <-held })
		t.Cleanup(release)
		b, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000})
		go func() { _, _ = get(context.Background(), hc, srv.URL+"/v8/held") }()
		require.Eventually(t, func() bool { return srv.cur.Load() == 1 }, 5*time.Second, time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := get(ctx, hc, srv.URL+"/v8/waiting"); done <- err }()
		host := strings.TrimPrefix(srv.URL, "http://")
		require.Eventually(t, func() bool { return queued(b, host, prioNormal) == 1 }, 5*time.Second, time.Millisecond)
		cancel()
		select {
		case err := <-done: // while the slot is still held: the wait ended with the context
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled wait for a slot did not return")
		}
		assert.Zero(t, queued(b, host, prioNormal), "the cancelled request left the queue")
	})
	t.Run("waiting out a pause", func(t *testing.T) {
		srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		_, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000, MaxPause: 2 * time.Hour})
		_, err := get(context.Background(), hc, srv.URL+"/v8/x")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := get(ctx, hc, srv.URL+"/v8/x"); done <- err }()
		time.Sleep(20 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled wait for the end of a pause did not return")
		}
		assert.Len(t, srv.seen(), 1, "nothing was sent during the pause")
	})
}

// TestBudgetWaitIsNotTheRequestTimeout: through the client, a request that
// waits for a pause longer than its timeout still succeeds, and the
// activity's hook hears why it waited.
func TestBudgetWaitIsNotTheRequestTimeout(t *testing.T) {
	var calls atomic.Int32
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"slow down"}`))
			return true
		}
		_, _ = w.Write([]byte(`{"id":"` + sessionID + `","state":"Working"}`))
		return true
	}
	srv := f.start()
	b, err := NewBudget(BudgetOptions{})
	require.NoError(t, err)
	c, err := New(Config{BaseURL: srv.URL, Username: testUser, Password: testPassword, Version: V8,
		Timeout: 300 * time.Millisecond, Budget: b})
	require.NoError(t, err)

	_, err = c.GetRestoreSession(context.Background(), sessionID)
	require.Equal(t, http.StatusTooManyRequests, StatusCode(err))
	var mu sync.Mutex
	var heard []BudgetWait
	ctx := OnBudgetWait(context.Background(), func(w BudgetWait) { mu.Lock(); heard = append(heard, w); mu.Unlock() })
	s, err := c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err, "a 1 s wait for the budget is not a 300 ms request timeout")
	assert.Equal(t, "Working", s.State)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, heard, 2)
	assert.Contains(t, heard[0].Reason, "Retry-After")
	assert.False(t, heard[0].Until.IsZero())
	assert.Empty(t, heard[1].Reason, "admitted")
}

func TestBudgetMetrics(t *testing.T) {
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Events") {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	_, hc := budgetClient(t, BudgetOptions{MaxRate: 1000, Metrics: m})
	for _, p := range []string{"/v8/RestoreSessions/" + sessionID + "/Events", "/v8/RestoreSessions/" + sessionID, "/v8/token"} {
		_, err := get(context.Background(), hc, srv.URL+p)
		require.NoError(t, err)
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("GET", "/v8/RestoreSessions/{id}/Events", "503")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("GET", "/v8/RestoreSessions/{id}", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.tokenRenewals.WithLabelValues("ok")))
	assert.Zero(t, testutil.ToFloat64(m.inFlight), "every body closed")
	assert.Zero(t, testutil.CollectAndCount(m.pauses), "Retry-After 0 pauses nobody")
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		assert.Contains(t, MetricNames, f.GetName())
		for _, mf := range f.GetMetric() {
			for _, l := range mf.GetLabel() {
				assert.NotContains(t, l.GetValue(), sessionID, "no raw id in a label")
			}
		}
	}
}

// describing records the names of the metrics registered through it.
type describing struct{ names []string }

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		s := desc.String()
		i := strings.Index(s, `fqName: "`) + len(`fqName: "`)
		d.names = append(d.names, s[i:i+strings.IndexByte(s[i:], '"')])
	}
	return nil
}
func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}
func (d *describing) Unregister(prometheus.Collector) bool { return false }

func TestMetricNamesListsEveryMetric(t *testing.T) {
	var d describing
	NewMetrics(&d)
	assert.ElementsMatch(t, MetricNames, d.names)
}

func TestRouteTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/v8/RestoreSessions/" + sessionID + "/Events":            "/v8/RestoreSessions/{id}/Events",
		"/prefix/v7/Organizations/" + orgID + "/explore":          "/v7/Organizations/{id}/explore",
		"/v8/RestoreSessions/" + sessionID + "/Events/" + eventID: "/v8/RestoreSessions/{id}/Events/{id}",
		"/v5/token":              "/v5/token",
		"/v8/RestoreSessions/v1": "/v8/RestoreSessions/{id}",
		"/v8/RestoreSessions/" + sessionID + "/Stop": "/v8/RestoreSessions/{id}/Stop",
		"/somewhere/else":     "/{unknown}",
		"/v6/ServiceInstance": "/v6/ServiceInstance",
		"/v8/Organizations/contoso.onmicrosoft.com/RestoreSessions": "/v8/Organizations/{id}/RestoreSessions",
	} {
		assert.Equal(t, want, RouteTemplate(in), in)
	}
}

func TestNewBudgetRefusesNegatives(t *testing.T) {
	for _, o := range []BudgetOptions{{MaxInFlight: -1}, {MaxRate: -1}, {MaxPause: -time.Second}} {
		_, err := NewBudget(o)
		assert.Error(t, err, "%+v", o)
	}
	b, err := NewBudget(BudgetOptions{})
	require.NoError(t, err)
	assert.Equal(t, BudgetOptions{MaxInFlight: 8, MaxRate: 20, MaxPause: 5 * time.Minute}, b.Options())
	assert.False(t, errors.Is(err, context.Canceled))
}
