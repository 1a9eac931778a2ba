package workerapp

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"
)

// health tracks what /healthz and /readyz answer.
//
//   - /healthz (liveness): 200 while the process runs and the worker has not
//     hit a fatal error; 503 after one (the process is about to exit anyway).
//   - /readyz (readiness): 200 once the worker has started polling, until it
//     begins to shut down; 503 before and after. A worker serves no traffic:
//     readiness only says the process is up and polling. It does not depend
//     on Temporal being reachable: the SDK keeps retrying, and a replica
//     marked NotReady whenever Temporal blips would block node drains (the
//     disruption budget counts ready pods) and helps nothing. The last
//     Temporal health check is reported in the answer (and logged).
type health struct {
	mu        sync.Mutex
	started   bool
	stopping  bool
	fatal     error
	lastCheck time.Time
	checkErr  error // nil when the last check succeeded
	checked   bool
}

func (h *health) setStarted() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = true
}

func (h *health) setStopping() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
}

func (h *health) setFatal(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal == nil {
		h.fatal = err
	}
}

func (h *health) setCheck(at time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastCheck, h.checkErr, h.checked = at, err, true
}

// live reports whether the process is healthy: its answer, or an error.
func (h *health) live() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal != nil {
		return "", fmt.Errorf("worker failed: %v", h.fatal)
	}
	return "ok", nil
}

// ready reports whether the worker is ready: its answer, or an error.
func (h *health) ready() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.fatal != nil:
		return "", fmt.Errorf("worker failed: %v", h.fatal)
	case h.stopping:
		return "", fmt.Errorf("worker is stopping")
	case !h.started:
		return "", fmt.Errorf("worker not started yet")
	case h.checked && h.checkErr != nil:
		return fmt.Sprintf("ok; the last Temporal health check, at %s, failed: %v (the worker keeps retrying)",
			h.lastCheck.UTC().Format(time.RFC3339), h.checkErr), nil
	}
	return "ok", nil
}

func probe(check func() (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		answer, err := check()
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, answer)
	}
}

// handler serves /metrics (when metrics is not nil), /healthz and /readyz,
// and with profiles Go's runtime profiles under /debug/pprof/ (METRICS_PPROF:
// off by default, since they show the worker's internals and a CPU profile
// costs CPU while it runs).
func (h *health) handler(metrics http.Handler, profiles bool) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	if profiles {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("GET /healthz", probe(h.live))
	mux.Handle("GET /readyz", probe(h.ready))
	return mux
}
