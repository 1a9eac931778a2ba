package vb365sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const seedExploreBody = `{ "explore": { "datetime": "2020-10-30T10:54:40.2794046Z", "type": "vet", "showAllVersions": false, "showDeleted": false } }`

// reply is a recorded response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// newRequest builds a request; ct "" means JSON when there is a body.
func newRequest(method, target, token, ct, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func serve(h http.Handler, req *http.Request) reply {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func do(t *testing.T, h http.Handler, method, target, token, body string) reply {
	t.Helper()
	return serve(h, newRequest(method, target, token, "", body))
}

func login(t *testing.T, h http.Handler, ver string) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"admin"}}.Encode()
	r := serve(h, newRequest("POST", "/"+ver+"/token", "", "application/x-www-form-urlencoded", form))
	require.Equal(t, 200, r.status, "login: %s", r.body)
	tok, _ := r.json(t)["access_token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

func newSim(t *testing.T, opts vb365sim.Options) *vb365sim.Simulator {
	t.Helper()
	s := vb365sim.New(opts)
	t.Cleanup(s.Close)
	return s
}

// sleepRecorder is an Options.Sleep that records the delays the simulator
// asks for and returns at once.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) Sleep(_ context.Context, d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, d)
	return true
}

// take returns the delays recorded since the last take.
func (s *sleepRecorder) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.delays
	s.delays = nil
	return d
}
