package vb365sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching requests misbehave. Method is matched ignoring case
// (empty: any method); Path is matched ignoring case, `*` matching one path
// segment. Count is how many matching requests it hits (0: 1; negative:
// every one until cleared). Each hit applies, in order: DelayMs (wait, then
// go on), Status (answer that status with an error body and do nothing;
// RetryAfterSeconds adds a Retry-After header), DropAfterCommit (do the work,
// then close the connection without answering: the lost response). With
// several matching faults, the first added applies. ErrorCode (one of v8's
// errorCode values) and StackTrace go into the error body of a Status fault
// on the versions whose documents have them: errorCode on v8 (and on v7 when
// it is ProxyOffline), stackTrace on v8.
type Fault struct {
	Method            string `json:"method,omitempty"`
	Path              string `json:"path"`
	Count             int    `json:"count,omitempty"`
	Status            int    `json:"status,omitempty"`
	DropAfterCommit   bool   `json:"dropAfterCommit,omitempty"`
	DelayMs           int    `json:"delayMs,omitempty"`
	RetryAfterSeconds int    `json:"retryAfterSeconds,omitempty"`
	Message           string `json:"message,omitempty"`
	ErrorCode         string `json:"errorCode,omitempty"`
	StackTrace        string `json:"stackTrace,omitempty"`
}

// Validate checks that the fault matches something and does something.
func (f Fault) Validate() error {
	if f.Path == "" || !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("fault: path must start with /")
	}
	if f.Status == 0 && !f.DropAfterCommit && f.DelayMs <= 0 {
		return fmt.Errorf("fault: one of status, dropAfterCommit or delayMs is required")
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Errorf("fault: status %d is not an HTTP status", f.Status)
	}
	if f.Status != 0 && f.DropAfterCommit {
		return fmt.Errorf("fault: status and dropAfterCommit exclude each other")
	}
	if f.ErrorCode != "" && canonical(errorCodes, f.ErrorCode) != f.ErrorCode {
		return fmt.Errorf("fault: errorCode %q is not one of %v", f.ErrorCode, errorCodes)
	}
	if (f.ErrorCode != "" || f.StackTrace != "") && f.Status == 0 {
		return fmt.Errorf("fault: errorCode and stackTrace need a status")
	}
	return nil
}

// AddFault installs a fault.
func (s *Simulator) AddFault(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes all faults.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults returns the faults still armed, with their remaining counts.
func (s *Simulator) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// takeFault consumes one hit of the first fault matching the request.
func (s *Simulator) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) || !pathMatches(f.Path, path) {
			continue
		}
		hit := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.faults++
		return &hit
	}
	return nil
}

func (s *Simulator) latencyFor(method, path string) time.Duration {
	for _, l := range s.latency {
		if (l.Method == "" || strings.EqualFold(l.Method, method)) && pathMatches(l.Path, path) {
			return durationMs(l.DelayMs)
		}
	}
	return 0
}

// pathMatches matches a pattern, `*` standing for one segment, ignoring case.
func pathMatches(pattern, path string) bool {
	ps, xs := splitPath(pattern), splitPath(path)
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && !strings.EqualFold(ps[i], xs[i]) {
			return false
		}
	}
	return true
}

func durationMs(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

func faultMessage(f *Fault) string {
	if f.Message != "" {
		return f.Message
	}
	return fmt.Sprintf("Simulated fault: %d %s.", f.Status, http.StatusText(f.Status))
}

// dropConnection closes the client's connection without an answer. Over
// HTTP/1 it hijacks the connection; otherwise it aborts the handler, which
// makes net/http reset the stream.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
