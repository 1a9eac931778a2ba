package vb365

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// serverClock is VB365's clock as the Date headers of its answers tell it:
// the offset of the latest one from the worker's clock when it arrived.
// Every HTTP origin server with a clock sends Date (RFC 9110, section
// 6.6.1), in whole seconds, taken before the answer leaves: the offset it
// gives is never later than VB365's clock, and early by at most a second
// plus the answer's travel time.
type serverClock struct {
	mu     sync.Mutex
	offset time.Duration
	known  bool
}

// observe records the offset an answer's Date header gives; an answer
// without a readable Date changes nothing.
func (s *serverClock) observe(h http.Header, received time.Time) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.offset, s.known = d.Sub(received), true
	s.mu.Unlock()
}

func (s *serverClock) read() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset, s.known
}

// ServerNow is the time on VB365's clock now: the worker's clock plus the
// offset the latest answer's Date header gave (see serverClock), never
// later than VB365's clock by more than the two clocks drift apart between
// answers. When no answer has come yet it logs in first (the /token answer
// carries a Date), so it costs a request only when the next call would
// have logged in anyway. false when VB365 sends no Date, or when the
// login failed (the caller's next request reports why).
func (c *Client) ServerNow(ctx context.Context) (time.Time, bool) {
	if _, ok := c.clock.read(); !ok {
		_, _ = c.accessToken(ctx)
	}
	offset, ok := c.clock.read()
	if !ok {
		return time.Time{}, false
	}
	return c.now().Add(offset).UTC(), true
}
