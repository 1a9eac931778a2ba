package workerapp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestProbes(t *testing.T) {
	h := &health{}
	srv := h.handler(nil, false)

	code, body := get(t, srv, "/healthz")
	assert.Equal(t, http.StatusOK, code, "live while the process runs")
	assert.Equal(t, "ok\n", body)
	code, body = get(t, srv, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "not started")

	h.setStarted()
	code, body = get(t, srv, "/readyz")
	assert.Equal(t, http.StatusOK, code, "started: ready before any Temporal health check")
	assert.Equal(t, "ok\n", body)

	h.setCheck(time.Now(), nil)
	code, body = get(t, srv, "/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	h.setCheck(time.Now(), errors.New("connection refused"))
	code, body = get(t, srv, "/readyz")
	assert.Equal(t, http.StatusOK, code, "Temporal unreachable: still ready (no NotReady replicas blocking drains)")
	assert.Contains(t, body, "connection refused", "the failed check is reported")
	code, _ = get(t, srv, "/healthz")
	assert.Equal(t, http.StatusOK, code, "a failed Temporal check is not a reason to restart")

	h.setCheck(time.Now(), nil)
	h.setStopping()
	code, body = get(t, srv, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "stopping")

	h2 := &health{}
	h2.setStarted()
	h2.setCheck(time.Now(), nil)
	h2.setFatal(errors.New("namespace not found"))
	code, body = get(t, h2.handler(nil, false), "/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "namespace not found")
	code, _ = get(t, h2.handler(nil, false), "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)

	code, _ = get(t, srv, "/metrics")
	assert.Equal(t, http.StatusNotFound, code, "no metrics handler given")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestMetricsEndpoint(t *testing.T) {
	m := newMetrics(zap.NewNop())
	defer m.closer.Close()
	m.handler.WithTags(map[string]string{"task_queue": "vb365-restore"}).Counter("temporal_test_counter").Inc(3)
	srv := httptest.NewServer((&health{}).handler(m.http, false))
	defer srv.Close()

	var body string
	require.Eventually(t, func() bool {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK && strings.Contains(body, `temporal_test_counter_total{task_queue="vb365_restore"} 3`)
	}, 5*time.Second, 100*time.Millisecond, "the SDK counter reaches /metrics (tally reports every second)")
	assert.Contains(t, body, "go_goroutines")
	assert.Contains(t, body, "process_")
}

// TestProfilesOnlyWhenAsked: /debug/pprof/ is served with METRICS_PPROF only.
func TestProfilesOnlyWhenAsked(t *testing.T) {
	code, _ := get(t, (&health{}).handler(nil, false), "/debug/pprof/goroutine?debug=1")
	assert.Equal(t, http.StatusNotFound, code)

	code, body := get(t, (&health{}).handler(nil, true), "/debug/pprof/goroutine?debug=1")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine profile:")
	code, _ = get(t, (&health{}).handler(nil, true), "/debug/pprof/heap")
	assert.Equal(t, http.StatusOK, code)
}
