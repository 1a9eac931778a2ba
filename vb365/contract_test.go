package vb365

import (
	"bytes"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/openapispec"
)

// contractServer serves one version from Veeam's OpenAPI document: it
// validates every request the client sends against the document (also the
// probes of versions it does not serve), and answers minimal bodies that it
// validates too, so the fixture itself cannot drift from the contract.
type contractServer struct {
	t       *testing.T
	version string

	mu   sync.Mutex
	seen map[string]int // operation -> requests
	// stopped: the session was stopped, and is read back as such.
	stopped bool
}

func (s *contractServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := s.t
	body, _ := io.ReadAll(r.Body)
	reqV := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	if spec, err := openapispec.Load(reqV); err == nil {
		if err := spec.ValidateRequest(r, body); err != nil {
			t.Errorf("request does not match the %s document: %v", reqV, err)
		}
	} else {
		t.Errorf("request for %s, which has no document: %s %s", reqV, r.Method, r.URL.Path)
	}
	if reqV != s.version {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found."}`)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/"+s.version)
	op, status, resp := s.answer(r, rest, body)
	s.mu.Lock()
	s.seen[op]++
	s.mu.Unlock()

	spec, _ := openapispec.Load(s.version)
	h := http.Header{}
	if resp != "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	if err := spec.ValidateResponse(r, status, h, []byte(resp)); err != nil {
		t.Errorf("fixture answer for %s is not valid %s: %v", op, s.version, err)
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, resp)
}

func (s *contractServer) answer(r *http.Request, rest string, body []byte) (op string, status int, resp string) {
	t := s.t
	v8 := s.version == "v8"
	if rest != "/token" && rest != "/ServiceInstance" {
		if got := r.Header.Get("Authorization"); got != "Bearer contract-access" {
			t.Errorf("%s %s: Authorization %q, want the bearer token", r.Method, rest, got)
		}
	}
	q := r.URL.Query()
	switch {
	case rest == "/ServiceInstance":
		if r.Header.Get("Authorization") != "" {
			t.Errorf("probe with Authorization")
		}
		return "probe", http.StatusUnauthorized, `{"message":"Authorization has been denied for this request."}`
	case rest == "/token":
		form, _ := url.ParseQuery(string(body))
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		assert.Equal(t, "password", form.Get("grant_type"))
		assert.Equal(t, testUser, form.Get("username"))
		assert.Equal(t, testPassword, form.Get("password"))
		if s.version == "v6" {
			assert.Empty(t, form.Get("disable_antiforgery_token"))
		} else {
			assert.Equal(t, "true", form.Get("disable_antiforgery_token"))
		}
		return "token", 200, `{"access_token":"contract-access","refresh_token":"contract-refresh","token_type":"bearer",` +
			`"expires_in":3600,"userName":"` + testUser + `",".issued":"2024-01-01T00:00:00Z",".expires":"2024-01-01T01:00:00Z"}`
	case rest == "/Organizations" && r.Method == http.MethodGet:
		assert.Equal(t, "true", q.Get("extendedView"))
		if !v8 {
			return "org list", 200, `[` + orgJSON + `]`
		}
		if q.Get("offset") == "" {
			return "org list", 200, `{"offset":0,"limit":1,"setId":"` + eventID + `","results":[` + orgJSON + `],` +
				`"_links":{"next":{"href":"/v8/Organizations?offset=1&limit=1&extendedView=true"}}}`
		}
		assert.Equal(t, "1", q.Get("offset"))
		second := strings.Replace(orgJSON, orgID, "11111111-2222-3333-4444-555555555555", 1)
		return "org list", 200, `{"offset":1,"limit":1,"results":[` + second + `],"_links":{}}`
	case rest == "/Organizations/"+orgID && r.Method == http.MethodGet:
		assert.Equal(t, "true", q.Get("extendedView"))
		return "org get", 200, orgJSON
	case rest == "/Organizations/"+orgID+"/explore" && r.Method == http.MethodPost:
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		assert.Equal(t, map[string]any{"dateTime": "2020-10-30T10:54:40.2794046Z", "type": "Vet", "showDeleted": true, "showAllVersions": false}, m)
		if v8 {
			return "explore", http.StatusCreated, sessionJSON
		}
		return "explore", 200, sessionJSON
	case rest == "/RestoreSessions" && r.Method == http.MethodGet:
		assert.Equal(t, "10", q.Get("offset"))
		assert.Equal(t, "5", q.Get("limit"))
		assert.Equal(t, "2020-10-30T00:00:00.0000000Z", q.Get("startTimeFrom"))
		assert.Equal(t, "2020-10-31T00:00:00.0000000Z", q.Get("startTimeTo"))
		if v8 {
			assert.Equal(t, "CreationTime", q.Get("orderBy"))
			assert.Equal(t, "true", q.Get("orderAsc"))
		} else {
			assert.False(t, q.Has("orderBy") || q.Has("orderAsc"), "only v8 documents an order")
		}
		return "session list", 200, `{"offset":10,"limit":5,"results":[` + sessionJSON + `],"_links":{"self":{"href":"/` + s.version + `/RestoreSessions"}}}`
	case rest == "/RestoreSessions/"+sessionID && r.Method == http.MethodGet:
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return "session get", 200, stoppedSessionJSON
		}
		return "session get", 200, sessionJSON
	case rest == "/RestoreSessions/"+sessionID+"/Stop" && r.Method == http.MethodPost:
		assert.Empty(t, body)
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		if v8 {
			return "stop", http.StatusNoContent, ""
		}
		return "stop", 200, ""
	case rest == "/RestoreSessions/"+sessionID+"/Events" && r.Method == http.MethodGet:
		assert.Equal(t, "2", q.Get("offset"))
		assert.Equal(t, "50", q.Get("limit"))
		return "events list", 200, `{"offset":2,"limit":50,"results":[` + eventJSON + `],"_links":{"next":{"href":"/` + s.version + `/RestoreSessions/` + sessionID + `/Events?offset=3&limit=50"}}}`
	case rest == "/RestoreSessions/"+sessionID+"/Events/"+eventID && r.Method == http.MethodGet:
		return "event get", 200, eventJSON
	}
	t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
	return "unexpected", 404, `{"message":"Not found."}`
}

// TestContractV6toV8 runs every operation of the client against a server
// that holds each request to Veeam's published document for its version.
func TestContractV6toV8(t *testing.T) {
	// The server validates every probe against its version's document: load
	// them all first, so that no request waits for a document to load (slow
	// under -race) and times out.
	for _, v := range openapispec.Versions {
		openapispec.Require(t, v)
	}
	for _, v := range openapispec.Versions {
		t.Run(v, func(t *testing.T) {
			srv := &contractServer{t: t, version: v, seen: map[string]int{}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c := newTestClient(t, ts.URL, nil) // auto: probes v8, v7, v6 as needed
			ctx := context.Background()

			got, err := c.Version(ctx)
			require.NoError(t, err)
			assert.Equal(t, Version(v), got)

			org, err := c.GetOrganization(ctx, orgID)
			require.NoError(t, err)
			assert.Equal(t, "abc.onmicrosoft.com", org.Name)
			assert.True(t, org.IsBackedUp)
			require.NotNil(t, org.LastBackupTime)
			assert.Equal(t, time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC), *org.LastBackupTime)

			orgs, err := c.ListOrganizations(ctx)
			require.NoError(t, err)
			if v == "v8" {
				assert.Len(t, orgs, 2, "v8 pages are followed")
			} else {
				assert.Len(t, orgs, 1)
			}

			at := time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC)
			s, err := c.StartRestoreSession(ctx, orgID, ExploreRequest{DateTime: at, Type: SessionTypeTeams, ShowDeleted: true})
			require.NoError(t, err)
			assert.Equal(t, sessionID, s.ID)
			assert.Equal(t, "Working", s.State)
			assert.Nil(t, s.EndTime)

			from := time.Date(2020, 10, 30, 0, 0, 0, 0, time.UTC)
			to := from.Add(24 * time.Hour)
			page, err := c.ListRestoreSessions(ctx, ListRestoreSessionsOptions{ListOptions: ListOptions{Offset: 10, Limit: 5}, StartTimeFrom: &from, StartTimeTo: &to,
				OrderBy: OrderByCreationTime, OrderAsc: true})
			require.NoError(t, err)
			assert.Len(t, page.Results, 1)
			assert.False(t, page.HasNext)
			assert.Equal(t, 10, page.Offset)

			_, err = c.GetRestoreSession(ctx, sessionID)
			require.NoError(t, err)
			require.NoError(t, c.StopRestoreSession(ctx, sessionID))

			events, err := c.ListRestoreSessionEvents(ctx, sessionID, ListOptions{Offset: 2, Limit: 50})
			require.NoError(t, err)
			require.Len(t, events.Results, 1)
			assert.True(t, events.HasNext)
			assert.Equal(t, int32(1), events.Results[0].Order)

			ev, err := c.GetRestoreSessionEvent(ctx, sessionID, eventID)
			require.NoError(t, err)
			assert.Equal(t, "Viewed the team General", ev.Message)
			assert.Equal(t, time.Date(2020, 10, 30, 14, 52, 0, 123456700, time.UTC), ev.StartTime)

			for _, op := range []string{"probe", "token", "org get", "org list", "explore", "session list", "session get", "stop", "events list", "event get"} {
				assert.Positive(t, srv.seen[op], "operation %q never exercised", op)
			}
			assert.Equal(t, 1, srv.seen["token"], "one login for the whole run")
		})
	}
}

// Veeam's v5 "Create Restore Session" example, replayed: the client's v5
// request must be the example's, byte for byte.
const (
	seedPath     = "/v5/Organizations/3c424478-0811-4920-8aab-01f0bf2a2822/action"
	seedBody     = `{"explore":{"datetime":"2020-10-30T10:54:40.2794046Z","type":"vet","showDeleted":false,"showAllVersions":false}}`
	seedDocBody  = `{ "explore": { "datetime": "2020-10-30T10:54:40.2794046Z", "type": "vet", "showAllVersions": false, "showDeleted": false } }`
	seedResponse = `{ "id": "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe", "name": "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", "organization": "abc.onmicrosoft.com", "type": "Vet", "creationTime": "2020-10-30T14:51:36.0833712Z", "endTime": "2020-10-30T14:51:36.0833712Z", "state": "Working", "result": "Success", "initiatedBy": "EPSILON\\Administrator", "_links": { "self": { "href": "https://abc.tech.local:4443/v5/RestoreSessions/8caccbcb-3e6c-4e55-83b2-d7d196e11cbe" }, "organization": { "href": "https://abc.tech.local:4443/v5/RestoreSessions/8caccbcb-3e6c-4e55-83b2-d7d196e11cbe/organization" }, "restoreSessionEvents": { "href": "https://abc.tech.local:4443/v5/RestoreSessions/8caccbcb-3e6c-4e55-83b2-d7d196e11cbe/events" } } }`
)

func TestContractV5Seed(t *testing.T) {
	for _, version := range []Version{V5, VersionAuto} {
		t.Run(string(version), func(t *testing.T) {
			f := newFake(t, "v5")
			f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				switch {
				case r.Method == http.MethodPost && r.URL.Path == seedPath:
					writeJSON(w, http.StatusCreated, seedResponse)
				case r.Method == http.MethodPost && r.URL.Path == "/v5/RestoreSessions/"+sessionID+"/action":
					writeJSON(w, http.StatusOK, "")
				case r.Method == http.MethodGet && r.URL.Path == "/v5/Organizations/"+orgID:
					writeJSON(w, http.StatusOK, `{"id":"`+orgID+`","name":"abc.onmicrosoft.com","isBackedup":true,"firstBackuptime":"2020-10-01T08:00:00","lastBackuptime":"2020-10-30T10:29:05"}`)
				case r.Method == http.MethodGet && r.URL.Path == "/v5/RestoreSessions/"+sessionID+"/Events":
					writeJSON(w, http.StatusOK, `[`+eventJSON+`]`)
				case r.Method == http.MethodGet && r.URL.Path == "/v5/RestoreSessions/"+sessionID:
					// Read back after the stop.
					writeJSON(w, http.StatusOK, stoppedSessionJSON)
				default:
					return false
				}
				return true
			}
			ts := f.start()
			c := newTestClient(t, ts.URL, func(c *Config) { c.Version = version })
			ctx := context.Background()

			org, err := c.GetOrganization(ctx, orgID)
			require.NoError(t, err)
			assert.Equal(t, time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC), *org.LastBackupTime)

			at, err := ParseTime("2020-10-30T10:54:40.2794046Z")
			require.NoError(t, err)
			s, err := c.StartRestoreSession(ctx, orgID, ExploreRequest{DateTime: at, Type: SessionTypeTeams})
			require.NoError(t, err)
			assert.Equal(t, "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe", s.ID)
			assert.Equal(t, "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", s.Name)
			assert.Equal(t, "Working", s.State)
			assert.Equal(t, time.Date(2020, 10, 30, 14, 51, 36, 83371200, time.UTC), s.CreationTime)

			ev, err := c.ListRestoreSessionEvents(ctx, sessionID, ListOptions{})
			require.NoError(t, err)
			assert.Len(t, ev.Results, 1)
			require.NoError(t, c.StopRestoreSession(ctx, sessionID))

			var explore, stop, login *captured
			reqs := f.captured()
			for i := range reqs {
				switch {
				case reqs[i].Path == seedPath:
					explore = &reqs[i]
				case strings.HasSuffix(reqs[i].Path, "/action"):
					stop = &reqs[i]
				case reqs[i].Path == "/v5/token":
					login = &reqs[i]
				}
			}
			require.NotNil(t, explore)
			assert.Equal(t, http.MethodPost, explore.Method)
			assert.Equal(t, seedBody, string(explore.Body), "byte for byte")
			assert.JSONEq(t, seedDocBody, string(explore.Body), "the seed's example, semantically")
			assert.Equal(t, "application/json", explore.Header.Get("Content-Type"))
			assert.True(t, strings.HasPrefix(explore.Header.Get("Authorization"), "Bearer access-"))

			require.NotNil(t, stop)
			assert.Equal(t, "/v5/RestoreSessions/"+sessionID+"/action", stop.Path)
			assert.Equal(t, `{"stop":null}`, string(stop.Body))

			require.NotNil(t, login)
			form, err := url.ParseQuery(string(login.Body))
			require.NoError(t, err)
			assert.Equal(t, url.Values{"grant_type": {"password"}, "username": {testUser}, "password": {testPassword}}, form,
				"v5 has no antiforgery flag")
			for _, r := range reqs {
				if r.Method == http.MethodGet && strings.Contains(r.Path, "/Organizations") {
					assert.Equal(t, "true", r.Query.Get("extendedView"))
				}
				assert.False(t, bytes.Contains([]byte(r.URI), []byte(testPassword)))
			}
		})
	}
}
