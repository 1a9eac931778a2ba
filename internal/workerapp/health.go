package workerapp

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// health tracks what /healthz and /readyz answer.
//
//   - /healthz (liveness): 200 while the process runs and the worker has not
//     hit a fatal error; 503 after one (the process is about to exit anyway).
//   - /readyz (readiness): 200 once the worker has started and the last
//     Temporal health check succeeded; 503 before, after a failed check, and
//     while shutting down.
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

// live returns nil when the process is healthy.
func (h *health) live() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal != nil {
		return fmt.Errorf("worker failed: %v", h.fatal)
	}
	return nil
}

// ready returns nil when the worker is ready.
func (h *health) ready() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.fatal != nil:
		return fmt.Errorf("worker failed: %v", h.fatal)
	case h.stopping:
		return fmt.Errorf("worker is stopping")
	case !h.started:
		return fmt.Errorf("worker not started yet")
	case !h.checked:
		return fmt.Errorf("no Temporal health check yet")
	case h.checkErr != nil:
		return fmt.Errorf("the Temporal health check at %s failed: %v", h.lastCheck.UTC().Format(time.RFC3339), h.checkErr)
	}
	return nil
}

func probe(check func() error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := check(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}

// handler serves /metrics (when metrics is not nil), /healthz and /readyz.
func (h *health) handler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.Handle("GET /healthz", probe(h.live))
	mux.Handle("GET /readyz", probe(h.ready))
	return mux
}
