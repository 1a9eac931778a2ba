package vb365sim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func exploreV8(t *testing.T, srv *httptest.Server, tok, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"dateTime":"2020-10-30T10:54:40Z","type":"Vet"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return resp, err
}

func TestFaults(t *testing.T) {
	seedExplore := "/v8/Organizations/" + vb365sim.SeedOrganizationID + "/explore"
	for _, tc := range []struct {
		name        string
		fault       vb365sim.Fault
		path        string // request path (default seedExplore)
		wantStatus  []int  // per request; 0 = connection dropped
		wantCreated int
		wantDelay   time.Duration // asked of Options.Sleep by the first request
		leftArmed   int
	}{
		{name: "status", fault: vb365sim.Fault{Method: "POST", Path: "/v8/Organizations/*/explore", Status: 503, RetryAfterSeconds: 7},
			wantStatus: []int{503, 201}, wantCreated: 1},
		{name: "status count 2", fault: vb365sim.Fault{Path: "/v8/Organizations/*/explore", Status: 500, Count: 2},
			wantStatus: []int{500, 500, 201}, wantCreated: 1},
		{name: "drop after commit", fault: vb365sim.Fault{Method: "post", Path: "/v8/Organizations/*/explore", DropAfterCommit: true},
			wantStatus: []int{0, 201}, wantCreated: 2},
		{name: "delay", fault: vb365sim.Fault{Method: "POST", Path: "/v8/Organizations/*/explore", DelayMs: 150},
			wantStatus: []int{201}, wantCreated: 1, wantDelay: 150 * time.Millisecond},
		{name: "case-insensitive match", fault: vb365sim.Fault{Method: "POST", Path: "/V8/ORGANIZATIONS/*/Explore", Status: 502},
			path: "/v8/organizations/" + vb365sim.SeedOrganizationID + "/EXPLORE", wantStatus: []int{502, 201}, wantCreated: 1},
		{name: "other method untouched", fault: vb365sim.Fault{Method: "GET", Path: "/v8/Organizations/*/explore", Status: 503},
			wantStatus: []int{201}, wantCreated: 1, leftArmed: 1},
		{name: "star is one segment", fault: vb365sim.Fault{Path: "/v8/*/explore", Status: 503},
			wantStatus: []int{201}, wantCreated: 1, leftArmed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sleeps := &sleepRecorder{}
			sim := newSim(t, vb365sim.Options{Sleep: sleeps.Sleep})
			srv := httptest.NewServer(sim.Handler())
			defer srv.Close()
			tok := login(t, sim.Handler(), "v8")
			sim.AddFault(tc.fault)
			path := tc.path
			if path == "" {
				path = seedExplore
			}
			for i, want := range tc.wantStatus {
				resp, err := exploreV8(t, srv, tok, path)
				delays := sleeps.take()
				if want == 0 {
					require.Error(t, err, "request %d: the connection should drop", i)
					continue
				}
				require.NoError(t, err, "request %d", i)
				assert.Equal(t, want, resp.StatusCode, "request %d", i)
				if want == 503 && tc.fault.RetryAfterSeconds > 0 {
					assert.Equal(t, "7", resp.Header.Get("Retry-After"))
					assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
				}
				if i == 0 && tc.wantDelay > 0 {
					assert.Equal(t, []time.Duration{tc.wantDelay}, delays, "request %d", i)
				} else {
					assert.Empty(t, delays, "request %d", i)
				}
			}
			assert.Len(t, sim.Sessions(), tc.wantCreated)
			assert.Len(t, sim.Faults(), tc.leftArmed, "count used up")
		})
	}
}

func TestFaultsControlEndpoints(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"method":"POST","path":"/v8/Organizations/*/explore","status":503}`, 204},
		{`{"path":"/v8/token","count":-1,"status":500}`, 204},
		{`{"path":"/v8/token"}`, 400},              // does nothing
		{`{"path":"v8/token","status":500}`, 400},  // not a path
		{`{"path":"/v8/token","status":700}`, 400}, // not a status
		{`{"path":"/v8/token","status":503,"dropAfterCommit":true}`, 400},
		{`not json`, 400},
	} {
		assert.Equal(t, tc.want, do(t, h, "POST", "/_sim/faults", "", tc.body).status, tc.body)
	}
	require.Len(t, sim.Faults(), 2)
	for i := 0; i < 3; i++ { // count -1: every request
		assert.Equal(t, 500, do(t, h, "POST", "/v8/token", "", "grant_type=password").status)
	}
	assert.Equal(t, 204, do(t, h, "DELETE", "/_sim/faults", "", "").status)
	assert.Empty(t, sim.Faults())
	login(t, h, "v8")
	sim.AddFault(vb365sim.Fault{Path: "/v8/token", Status: 503})
	sim.ClearFaults()
	login(t, h, "v8")
}

// TestCloseEndsOptionsSleep: Close cuts a delay short also when Options.Sleep
// does the waiting, and the delayed request gets no answer.
func TestCloseEndsOptionsSleep(t *testing.T) {
	asleep := make(chan struct{})
	sim := newSim(t, vb365sim.Options{Sleep: func(ctx context.Context, d time.Duration) bool {
		close(asleep)
		<-ctx.Done()
		return false
	}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	tok := login(t, sim.Handler(), "v8")
	sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/v8/Organizations/*/explore", DelayMs: 60_000})
	go func() { <-asleep; sim.Close() }()
	resp, err := exploreV8(t, srv, tok, "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore")
	if err == nil {
		assert.NotEqual(t, 201, resp.StatusCode, "the delayed request is not served")
	}
	assert.Empty(t, sim.Sessions(), "the delayed request is not served")
}
