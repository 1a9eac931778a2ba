package vb365

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	testUser     = "restore-operator"
	testPassword = "correct horse battery staple"
	orgID        = "3c424478-0811-4920-8aab-01f0bf2a2822"
	sessionID    = "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe"
	eventID      = "5b1b4bb6-2cf0-4d6e-9b0e-0c1c1b2b3a01"
)

// captured is one request as the fake server saw it.
type captured struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	URI    string
}

// fakeVB365 is a small, scriptable VB365: it serves some versions, logs in
// and refreshes tokens, checks bearer tokens, and hands everything else to
// the test's route function.
type fakeVB365 struct {
	t             *testing.T
	served        map[string]bool
	ttlSeconds    int
	accessPrefix  string
	refreshPrefix string

	mu            sync.Mutex
	requests      []captured
	logins        int
	refreshes     int
	probes        int
	seq           int
	validAccess   map[string]bool
	validRefresh  map[string]bool
	refuseRefresh bool
	// password is the one the password grant accepts (default testPassword).
	password string
	// tokenStatus, when set, answers every /token request with it.
	tokenStatus int
	// echoSecrets makes error answers repeat what the client sent, as a
	// careless server might.
	echoSecrets bool
	// timeLayout writes .issued and .expires (default RFC 3339); expiresIn,
	// when set, replaces expires_in (nil omits nothing: use omitExpiresIn).
	timeLayout    string
	expiresIn     any
	omitExpiresIn bool
	// keepRefresh makes a refresh answer without refresh_token, as a server
	// that does not rotate them may (the old one stays valid).
	keepRefresh bool
	// route answers authenticated API calls; return false for a 404.
	route func(w http.ResponseWriter, r *http.Request, body []byte) bool
}

func newFake(t *testing.T, versions ...string) *fakeVB365 {
	f := &fakeVB365{
		t: t, served: map[string]bool{}, ttlSeconds: 3600,
		accessPrefix: "access-", refreshPrefix: "refresh-", password: testPassword,
		validAccess: map[string]bool{}, validRefresh: map[string]bool{},
	}
	for _, v := range versions {
		f.served[v] = true
	}
	return f
}

func (f *fakeVB365) start() *httptest.Server {
	s := httptest.NewServer(f)
	f.t.Cleanup(s.Close)
	return s
}

// revokeAll makes every access token invalid, as a server restart would.
func (f *fakeVB365) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validAccess = map[string]bool{}
}

func (f *fakeVB365) counts() (logins, refreshes, probes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.refreshes, f.probes
}

func (f *fakeVB365) captured() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeVB365) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, captured{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, URI: r.RequestURI})
	f.mu.Unlock()

	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) < 2 || !f.served[parts[0]] {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found."}`)
		return
	}
	v, rest := parts[0], strings.ToLower(parts[1])
	switch {
	case rest == "serviceinstance":
		if r.Header.Get("Authorization") != "" {
			f.t.Errorf("version probe sent an Authorization header")
		}
		f.mu.Lock()
		f.probes++
		f.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, `{"message":"Authorization has been denied for this request."}`)
		return
	case rest == "token" && r.Method == http.MethodPost:
		f.token(w, v, body)
		return
	}
	auth := r.Header.Get("Authorization")
	f.mu.Lock()
	ok := strings.HasPrefix(auth, "Bearer ") && f.validAccess[strings.TrimPrefix(auth, "Bearer ")]
	f.mu.Unlock()
	if !ok {
		msg := "Authorization has been denied for this request."
		if f.echoSecrets {
			msg += " Token: " + auth
		}
		b, _ := json.Marshal(map[string]string{"message": msg})
		writeJSON(w, http.StatusUnauthorized, string(b))
		return
	}
	if f.route == nil || !f.route(w, r, body) {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found.","errorCode":"ResourceNotFound"}`)
	}
}

func (f *fakeVB365) token(w http.ResponseWriter, v string, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokenStatus != 0 {
		writeJSON(w, f.tokenStatus, `{"message":"The token service is unavailable."}`)
		return
	}
	switch form.Get("grant_type") {
	case "password":
		if form.Get("username") != testUser || form.Get("password") != f.password {
			desc := "The user name or password is incorrect."
			if f.echoSecrets {
				desc = "Wrong password " + form.Get("password") + " for " + form.Get("username")
			}
			b, _ := json.Marshal(map[string]string{"error": "invalid_grant", "error_description": desc})
			writeJSON(w, http.StatusBadRequest, string(b))
			return
		}
		f.logins++
	case "refresh_token":
		if f.refuseRefresh || !f.validRefresh[form.Get("refresh_token")] {
			writeJSON(w, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"Refresh token is invalid."}`)
			return
		}
		f.refreshes++
		if f.keepRefresh {
			f.seq++
			access := fmt.Sprintf("%s%d", f.accessPrefix, f.seq)
			f.validAccess[access] = true
			b, _ := json.Marshal(map[string]any{"access_token": access, "token_type": "bearer", "expires_in": f.ttlSeconds})
			writeJSON(w, http.StatusOK, string(b))
			return
		}
		// Rotation: the refresh token used stops working.
		delete(f.validRefresh, form.Get("refresh_token"))
	default:
		writeJSON(w, http.StatusBadRequest, `{"error":"unsupported_grant_type"}`)
		return
	}
	f.seq++
	access := fmt.Sprintf("%s%d", f.accessPrefix, f.seq)
	refresh := fmt.Sprintf("%s%d", f.refreshPrefix, f.seq)
	f.validAccess[access] = true
	f.validRefresh[refresh] = true
	now := time.Now().UTC()
	layout := f.timeLayout
	if layout == "" {
		layout = time.RFC3339
	}
	resp := map[string]any{
		"access_token": access, "refresh_token": refresh, "token_type": "bearer",
		"expires_in": f.ttlSeconds, "userName": testUser,
		".issued":  now.Format(layout),
		".expires": now.Add(time.Duration(f.ttlSeconds) * time.Second).Format(layout),
	}
	if f.expiresIn != nil {
		resp["expires_in"] = f.expiresIn
	}
	if f.omitExpiresIn {
		delete(resp, "expires_in")
	}
	b, _ := json.Marshal(resp)
	writeJSON(w, http.StatusOK, string(b))
}

// newTestClient builds a client for srv with the test credentials.
func newTestClient(t *testing.T, baseURL string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: baseURL, Username: testUser, Password: testPassword, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// observedLogger records every log entry at debug level and above.
func observedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// fakeClock is a settable clock for token-expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Minimal valid bodies, shared by the contract and unit tests.
const (
	orgJSON = `{"id":"` + orgID + `","name":"abc.onmicrosoft.com","officeName":"abc","type":"Office365","isBackedup":true,` +
		`"firstBackuptime":"2020-10-01T08:00:00Z","lastBackuptime":"2020-10-30T10:29:05Z"}`
	sessionJSON = `{"id":"` + sessionID + `","name":"Teams restore (Entire organization - 10/30/2020 10:29:05 AM)",` +
		`"organization":"abc.onmicrosoft.com","type":"Vet","creationTime":"2020-10-30T14:51:36.0833712Z","endTime":null,` +
		`"state":"Working","result":"Success","initiatedBy":"EPSILON\\Administrator"}`
	stoppedSessionJSON = `{"id":"` + sessionID + `","type":"Vet","creationTime":"2020-10-30T14:51:36.0833712Z",` +
		`"endTime":"2020-10-30T15:00:00Z","state":"Stopped","result":"Success"}`
	eventJSON = `{"id":"` + eventID + `","type":"View","status":"Success","message":"Viewed the team General",` +
		`"startTime":"2020-10-30T14:52:00.1234567Z","endTime":"2020-10-30T14:52:01Z","duration":"00:00:01","order":1}`
)

func httpTestServer(t *testing.T, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}
