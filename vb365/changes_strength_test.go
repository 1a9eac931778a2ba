package vb365

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventsServer is a v8 fake whose /v8/Events answers status and body, and
// records the query of every read of the feed.
type eventsServer struct {
	mu      sync.Mutex
	queries []url.Values
}

func newEventsServer(t *testing.T, status int, body string, timeout time.Duration) (*eventsServer, *Client) {
	t.Helper()
	s := &eventsServer{}
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/v8/Events" {
			return false
		}
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.Query())
		s.mu.Unlock()
		writeJSON(w, status, body)
		return true
	}
	ts := f.start()
	c := newTestClient(t, ts.URL, func(c *Config) { c.Timeout = timeout })
	return s, c
}

// only returns the one query the server got.
func (s *eventsServer) only(t *testing.T) url.Values {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(t, s.queries, 1, "one read of the feed")
	return s.queries[0]
}

// TestChangesMaxWaitIsHalfTheTimeoutInWholeSeconds: the longest long poll is
// half the client's request timeout, cut to whole seconds.
func TestChangesMaxWaitIsHalfTheTimeoutInWholeSeconds(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		45 * time.Second:        22 * time.Second,
		30 * time.Second:        15 * time.Second,
		1500 * time.Millisecond: 0,
	} {
		c := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Timeout = timeout })
		assert.Equal(t, want, c.MaxChangesWait(), "timeout %s", timeout)
	}
}

// TestListChangesLongWaitIsCutToHalfTheTimeout: a wait longer than half the
// request timeout sends timeoutSeconds of half the timeout, in whole seconds.
func TestListChangesLongWaitIsCutToHalfTheTimeout(t *testing.T) {
	s, c := newEventsServer(t, http.StatusOK, changesJSON, 45*time.Second)
	_, err := c.ListChanges(context.Background(), ChangesOptions{From: ChangesFromLatest, Wait: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, "22", s.only(t).Get("timeoutSeconds"))
}

// TestListChangesSendsLimitOnlyWhenPositive: limit is in the query with its
// value when Limit > 0, and absent for Limit 0 (the server's default).
func TestListChangesSendsLimitOnlyWhenPositive(t *testing.T) {
	for limit, want := range map[int][]string{0: nil, 1: {"1"}, 250: {"250"}} {
		s, c := newEventsServer(t, http.StatusOK, changesJSON, 30*time.Second)
		_, err := c.ListChanges(context.Background(), ChangesOptions{From: ChangesFromLatest, Limit: limit})
		require.NoError(t, err, "limit %d", limit)
		assert.Equal(t, want, s.only(t)["limit"], "limit %d", limit)
	}
}

// TestListChangesSendsWaitInWholeSeconds: timeoutSeconds is the wait in
// whole seconds, sent only for a wait of a second or more (a shorter wait,
// or none, answers at once).
func TestListChangesSendsWaitInWholeSeconds(t *testing.T) {
	for wait, want := range map[time.Duration][]string{
		0:                       nil,
		999 * time.Millisecond:  nil,
		time.Second:             {"1"},
		1500 * time.Millisecond: {"1"},
		7 * time.Second:         {"7"},
	} {
		s, c := newEventsServer(t, http.StatusOK, changesJSON, 30*time.Second)
		_, err := c.ListChanges(context.Background(), ChangesOptions{From: ChangesFromLatest, Wait: wait})
		require.NoError(t, err, "wait %s", wait)
		assert.Equal(t, want, s.only(t)["timeoutSeconds"], "wait %s", wait)
	}
}

// TestListChangesReturnsThePage: a well-formed page comes back as a page,
// with no error.
func TestListChangesReturnsThePage(t *testing.T) {
	_, c := newEventsServer(t, http.StatusOK, changesJSON, 30*time.Second)
	p, err := c.ListChanges(context.Background(), ChangesOptions{From: "tok-1"})
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.Equal(t, "tok-2", p.NextToken)
	assert.Equal(t, 100, p.Limit)
	assert.Len(t, p.Changes, 3)
}

// TestListChangesErrorStatusIsAnError: an error status comes back as the
// client's error with that status, and no page.
func TestListChangesErrorStatusIsAnError(t *testing.T) {
	_, c := newEventsServer(t, http.StatusGone, `{"message":"The change token is outdated.","errorCode":"OutdatedChangeToken"}`, 30*time.Second)
	p, err := c.ListChanges(context.Background(), ChangesOptions{From: "tok-old"})
	require.Error(t, err)
	assert.Nil(t, p)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusGone, e.StatusCode)
	assert.True(t, IsChangeTokenRefused(err))
}

// TestListChangesBadPageIsADecodeError: a body that is not a page of
// changes, or a page without nextChangeToken, is a decode error and no page.
func TestListChangesBadPageIsADecodeError(t *testing.T) {
	for _, body := range []string{
		`{"nextChangeToken":`,
		`{"limit":30,"results":[]}`,
		`{"nextChangeToken":"","limit":30,"results":[]}`,
	} {
		_, c := newEventsServer(t, http.StatusOK, body, 30*time.Second)
		p, err := c.ListChanges(context.Background(), ChangesOptions{From: "tok-1"})
		require.Error(t, err, body)
		assert.Nil(t, p, body)
		var e *Error
		require.True(t, errors.As(err, &e), body)
		assert.Equal(t, http.StatusOK, e.StatusCode, body)
		assert.ErrorContains(t, err, "decode response", body)
	}
}

// TestListChangesTransportErrorIsAnError: a request that reaches no server
// comes back as an error, and no page.
func TestListChangesTransportErrorIsAnError(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Version = V8; c.Timeout = 5 * time.Second })
	p, err := c.ListChanges(context.Background(), ChangesOptions{From: "tok-1"})
	require.Error(t, err)
	assert.Nil(t, p)
}
