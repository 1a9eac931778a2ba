package vb365

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/openapispec"
)

const changesJSON = `{"nextChangeToken":"tok-2","limit":100,"setId":"` + eventID + `","results":[` +
	`{"eventType":"RestoreSessionUpdate","id":"` + sessionID + `","eTag":7},` +
	`{"eventType":"RestoreSessionDelete","id":"` + sessionID + `"},` +
	`{"eventType":"JobUpdate","id":"job-1","eTag":3,"jobType":"Backup"}],"_links":{}}`

// TestContractListChanges: the change feed request and its answer validate
// against Veeam's v8 document, the long poll asks for half the request
// timeout, and the page reads into changes.
func TestContractListChanges(t *testing.T) {
	spec := openapispec.Require(t, "v8")
	f := newFake(t, "v8")
	var mu sync.Mutex
	var queries []string
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path != "/v8/Events" {
			return false
		}
		if err := spec.ValidateRequest(r, body); err != nil {
			t.Errorf("request does not match the v8 document: %v", err)
		}
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		if err := spec.ValidateResponse(r, http.StatusOK, h, []byte(changesJSON)); err != nil {
			t.Errorf("fixture answer is not valid v8: %v", err)
		}
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		writeJSON(w, http.StatusOK, changesJSON)
		return true
	}
	ts := f.start()
	c := newTestClient(t, ts.URL, func(c *Config) { c.Timeout = 30 * time.Second })
	require.Equal(t, 15*time.Second, c.MaxChangesWait())

	p, err := c.ListChanges(context.Background(), ChangesOptions{From: ChangesFromLatest, Limit: 100, Wait: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, "tok-2", p.NextToken)
	assert.Equal(t, 100, p.Limit)
	assert.Equal(t, []Change{
		{Type: ChangeRestoreSessionUpdate, ID: sessionID, ETag: 7},
		{Type: ChangeRestoreSessionDelete, ID: sessionID},
		{Type: "JobUpdate", ID: "job-1", ETag: 3},
	}, p.Changes)

	_, err = c.ListChanges(context.Background(), ChangesOptions{From: "tok-2"})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"from=latest&limit=100&timeoutSeconds=15", "from=tok-2"}, queries,
		"the wait is cut to half the request timeout; no wait, no timeoutSeconds")
}

// TestListChangesIsV8Only: on v7 the call is refused before it is sent.
func TestListChangesIsV8Only(t *testing.T) {
	f := newFake(t, "v7")
	ts := f.start()
	c := newTestClient(t, ts.URL, nil)
	_, err := c.ListChanges(context.Background(), ChangesOptions{From: ChangesFromLatest})
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	require.ErrorIs(t, err, ErrInvalidArgument)
	for _, r := range f.captured() {
		assert.NotContains(t, r.Path, "/Events", "nothing sent")
	}
}

// TestListChangesRefusesBadOptions: the arguments are checked before sending.
func TestListChangesRefusesBadOptions(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Version = V8 })
	for _, o := range []ChangesOptions{{}, {From: "latest", Limit: -1}, {From: "latest", Limit: MaxChangesLimit + 1}, {From: "latest", Wait: -time.Second}} {
		_, err := c.ListChanges(context.Background(), o)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%+v", o)
	}
}

// TestIsChangeTokenRefused: OutdatedChangeToken, 400 and 410 refuse the
// token; a 503 or a network error does not (the same token is read again).
func TestIsChangeTokenRefused(t *testing.T) {
	assert.True(t, IsChangeTokenRefused(&Error{StatusCode: 404, ErrorCode: "OutdatedChangeToken"}))
	assert.True(t, IsChangeTokenRefused(&Error{StatusCode: 400}))
	assert.True(t, IsChangeTokenRefused(&Error{StatusCode: 410}))
	assert.False(t, IsChangeTokenRefused(&Error{StatusCode: 503}))
	assert.False(t, IsChangeTokenRefused(&Error{Err: errors.New("connection reset")}))
	assert.False(t, IsChangeTokenRefused(errors.New("other")))
}

// TestLongPollTakesNoBudgetSlot: with one in-flight slot, a long poll that
// VB365 holds does not keep another request out; the other request is
// answered while the long poll still waits.
func TestLongPollTakesNoBudgetSlot(t *testing.T) {
	held, release := releaser()
	srv := newBudgetServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Events") {
			<-held
		}
		w.WriteHeader(http.StatusOK)
	})
	t.Cleanup(release)
	_, hc := budgetClient(t, BudgetOptions{MaxInFlight: 1, MaxRate: 1000})
	done := make(chan error, 1)
	go func() { _, err := get(longPoll(context.Background()), hc, srv.URL+"/v8/Events"); done <- err }()
	require.Eventually(t, func() bool { return srv.cur.Load() == 1 }, 5*time.Second, time.Millisecond, "the long poll is out")
	// A guard, not a timing: a slot held by the long poll keeps this request
	// waiting until the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	status, err := get(ctx, hc, srv.URL+"/v8/RestoreSessions/"+sessionID)
	require.NoError(t, err, "the request got a slot while the long poll waited")
	assert.Equal(t, http.StatusOK, status)
	release()
	require.NoError(t, <-done)
}
