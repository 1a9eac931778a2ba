package vb365

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorMapping(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) // the client's clock
	retryAt := now.Add(90 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		name          string
		status        int
		body          string
		header        map[string]string
		wantTransient bool
		wantMessage   string
		wantCode      string
		wantRetry     time.Duration // 0: none
	}{
		{name: "400", status: 400, body: `{"message":"Invalid restore session id."}`, wantMessage: "Invalid restore session id."},
		{name: "403", status: 403, body: `{"message":"Access denied.","errorCode":"ResourceAccessDenied"}`, wantMessage: "Access denied.", wantCode: "ResourceAccessDenied"},
		{name: "404", status: 404, body: `{"message":"Not found.","errorCode":"ResourceNotFound","stackTrace":null}`, wantMessage: "Not found.", wantCode: "ResourceNotFound"},
		{name: "409", status: 409, body: `{"message":"Busy.","errorCode":"OperationConflict"}`, wantMessage: "Busy.", wantCode: "OperationConflict"},
		{name: "408", status: 408, body: `{"message":"Timeout.","errorCode":"Timeout"}`, wantTransient: true, wantMessage: "Timeout.", wantCode: "Timeout"},
		{name: "429 seconds", status: 429, body: `{"message":"Slow down."}`, header: map[string]string{"Retry-After": "7"}, wantTransient: true, wantMessage: "Slow down.", wantRetry: 7 * time.Second},
		{name: "503 date", status: 503, body: `{"message":"Proxy is offline.","errorCode":"ProxyOffline"}`, header: map[string]string{"Retry-After": retryAt}, wantTransient: true, wantMessage: "Proxy is offline.", wantCode: "ProxyOffline", wantRetry: 90 * time.Second},
		{name: "503 bad retry-after", status: 503, body: `{}`, header: map[string]string{"Retry-After": "soon"}, wantTransient: true},
		{name: "500", status: 500, body: `{"message":"Restore session cannot be created."}`, wantTransient: true, wantMessage: "Restore session cannot be created."},
		{name: "502 html", status: 502, body: "<html>\n<h1>502 Bad Gateway</h1>\n</html>", wantTransient: true, wantMessage: "<html> <h1>502 Bad Gateway</h1> </html>"},
		{name: "oauth shape", status: 400, body: `{"error":"invalid_request","error_description":"Missing field."}`, wantMessage: "Missing field.", wantCode: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v8")
			f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, tt.body)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			c.now = func() time.Time { return now }
			_, err := c.GetRestoreSession(context.Background(), sessionID)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.status, e.StatusCode)
			assert.Equal(t, tt.status, StatusCode(err))
			assert.Equal(t, tt.wantTransient, IsTransient(err))
			assert.Equal(t, tt.wantMessage, e.Message)
			assert.Equal(t, tt.wantCode, e.ErrorCode)
			assert.Equal(t, "get restore session", e.Op)
			assert.Equal(t, "/v8/RestoreSessions/"+sessionID, e.Path)
			assert.False(t, IsAuthenticationFailure(err))
			d, ok := RetryAfter(err)
			assert.Equal(t, tt.wantRetry != 0, ok)
			assert.Equal(t, tt.wantRetry, d)
			assert.Contains(t, err.Error(), "get restore session: GET /v8/RestoreSessions/"+sessionID)
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                               0,
		"0":                              0,
		"-5":                             0,
		"120":                            2 * time.Minute,
		" 3 ":                            3 * time.Second,
		"Mon, 01 Jan 2024 12:00:30 GMT":  30 * time.Second,
		"Mon, 01 Jan 2024 11:00:00 GMT":  0, // in the past
		"Monday, 01-Jan-24 12:01:00 GMT": time.Minute,
		"later":                          0,
	}
	for in, want := range tests {
		assert.Equal(t, want, parseRetryAfter(in, now), "%q", in)
	}
}

// hijackFirst closes the connection without an answer for the first n
// requests, then hands requests to next: a server that is briefly gone.
func hijackFirst(n int32, next http.Handler) http.Handler {
	var seen atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestNoResponseIsTransient(t *testing.T) {
	t.Run("connection closed", func(t *testing.T) {
		f := newFake(t, "v8")
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return true
		}
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.GetRestoreSession(context.Background(), sessionID)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 0, e.StatusCode)
		assert.True(t, IsTransient(err))
		assert.NotNil(t, e.Err)
	})
	t.Run("per-request timeout", func(t *testing.T) {
		f := newFake(t, "v8")
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return false
		}
		c := newTestClient(t, f.start().URL, func(c *Config) { c.Timeout = 150 * time.Millisecond })
		_, err := c.GetRestoreSession(context.Background(), sessionID)
		require.Error(t, err)
		assert.True(t, IsTransient(err))
		assert.Contains(t, err.Error(), "no response within 150ms")
	})
	t.Run("server down", func(t *testing.T) {
		f := newFake(t, "v8")
		srv := f.start()
		url := srv.URL
		srv.Close()
		c := newTestClient(t, url, func(c *Config) { c.Version = V8 })
		_, err := c.GetOrganization(context.Background(), orgID)
		require.Error(t, err)
		assert.True(t, IsTransient(err))
		assert.True(t, strings.HasPrefix(err.Error(), "vb365: get organization: log in: POST /v8/token"), err.Error())
	})
	t.Run("caller canceled", func(t *testing.T) {
		f := newFake(t, "v8")
		ctx, cancel := context.WithCancel(context.Background())
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			cancel()
			<-r.Context().Done()
			return false
		}
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.GetRestoreSession(ctx, sessionID)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, IsTransient(err), "a canceled call is not worth retrying")
	})
}

func TestInvalidArgumentsAreNotSent(t *testing.T) {
	f := newFake(t, "v8")
	c := newTestClient(t, f.start().URL, nil)
	ctx := context.Background()
	errs := []error{}
	_, err := c.GetOrganization(ctx, " ")
	errs = append(errs, err)
	_, err = c.StartRestoreSession(ctx, orgID, ExploreRequest{Type: "mailbox"})
	errs = append(errs, err)
	_, err = c.StartRestoreSession(ctx, "", ExploreRequest{Type: SessionTypeExchange})
	errs = append(errs, err)
	_, err = c.GetRestoreSessionEvent(ctx, sessionID, "")
	errs = append(errs, err)
	_, err = c.ListRestoreSessionEvents(ctx, sessionID, ListOptions{Offset: -1})
	errs = append(errs, err)
	errs = append(errs, c.StopRestoreSession(ctx, ""))
	_, err = c.ListRestoreSessions(ctx, ListRestoreSessionsOptions{OrderBy: "Name"})
	errs = append(errs, err)
	for i, err := range errs {
		var e *Error
		require.ErrorAs(t, err, &e, i)
		assert.ErrorIs(t, err, ErrInvalidArgument, i)
		assert.False(t, IsTransient(err), i)
	}
	assert.Empty(t, f.captured(), "nothing reaches the server")
}

func TestStopRestoreSession(t *testing.T) {
	tests := []struct {
		name      string
		version   string
		stop      func(w http.ResponseWriter)
		state     string // what GET answers
		wantErr   bool
		wantGets  int
		wantPath  string
		wantBody  string
		wantState int
		// wantNotConfirmed: the stop was accepted, the session not stopped.
		wantNotConfirmed bool
	}{
		{name: "v8 204", version: "v8", state: stoppedSessionJSON, wantGets: 1, stop: func(w http.ResponseWriter) { w.WriteHeader(204) }, wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop"},
		{name: "v6 200", version: "v6", state: stoppedSessionJSON, wantGets: 1, stop: func(w http.ResponseWriter) { w.WriteHeader(200) }, wantPath: "/v6/RestoreSessions/" + sessionID + "/Stop"},
		{name: "v5 action", version: "v5", state: stoppedSessionJSON, wantGets: 1, stop: func(w http.ResponseWriter) { w.WriteHeader(200) }, wantPath: "/v5/RestoreSessions/" + sessionID + "/action", wantBody: `{"stop":null}`},
		{
			name: "accepted but still working", version: "v8", state: sessionJSON, wantGets: 1, wantErr: true, wantState: 204, wantNotConfirmed: true,
			stop:     func(w http.ResponseWriter) { w.WriteHeader(204) },
			wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "accepted, then gone", version: "v7", wantGets: 1, wantErr: true, wantState: 404,
			stop:     func(w http.ResponseWriter) { w.WriteHeader(200) },
			wantPath: "/v7/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "already stopped: 400 then GET Stopped", version: "v8", state: stoppedSessionJSON, wantGets: 1,
			stop:     func(w http.ResponseWriter) { writeJSON(w, 400, `{"message":"Restore session is already stopped."}`) },
			wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "already stopped: 409 then GET Stopped", version: "v7", state: stoppedSessionJSON, wantGets: 1,
			stop:     func(w http.ResponseWriter) { writeJSON(w, 409, `{"message":"Conflict."}`) },
			wantPath: "/v7/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "refused while working", version: "v8", state: sessionJSON, wantGets: 1, wantErr: true, wantState: 400,
			stop:     func(w http.ResponseWriter) { writeJSON(w, 400, `{"message":"Cannot stop."}`) },
			wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "not found", version: "v8", wantErr: true, wantState: 404,
			stop:     func(w http.ResponseWriter) { writeJSON(w, 404, `{"message":"Not found."}`) },
			wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop",
		},
		{
			name: "server error", version: "v8", wantErr: true, wantState: 500,
			stop:     func(w http.ResponseWriter) { writeJSON(w, 500, `{"message":"Oops."}`) },
			wantPath: "/v8/RestoreSessions/" + sessionID + "/Stop",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.version)
			var gets atomic.Int32
			f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if r.Method == http.MethodGet {
					gets.Add(1)
					if tt.state == "" {
						writeJSON(w, 404, `{"message":"Not found."}`)
						return true
					}
					writeJSON(w, 200, tt.state)
					return true
				}
				assert.Equal(t, tt.wantPath, r.URL.Path)
				assert.Equal(t, tt.wantBody, string(body))
				tt.stop(w)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			err := c.StopRestoreSession(context.Background(), sessionID)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, tt.wantState, StatusCode(err))
				assert.Equal(t, tt.wantNotConfirmed, IsStopNotConfirmed(err))
				if tt.wantNotConfirmed {
					assert.True(t, IsTransient(err), "stopping again later may work")
					assert.Contains(t, err.Error(), `state "Working"`)
				}
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, int32(tt.wantGets), gets.Load())
		})
	}
}

func TestStartRestoreSessionBodies(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
	tests := []struct {
		version string
		req     ExploreRequest
		path    string
		body    string
	}{
		{"v8", ExploreRequest{DateTime: time.Date(2020, 10, 30, 12, 54, 40, 0, time.FixedZone("", 7200)), Type: "exchange", ShowAllVersions: true},
			"/v8/Organizations/" + orgID + "/explore", `{"dateTime":"2020-10-30T10:54:40.0000000Z","type":"Vex","showDeleted":false,"showAllVersions":true}`},
		{"v6", ExploreRequest{Type: "VESP"}, // zero time: now
			"/v6/Organizations/" + orgID + "/explore", `{"dateTime":"2024-05-06T07:08:09.0000000Z","type":"Vesp","showDeleted":false,"showAllVersions":false}`},
		{"v5", ExploreRequest{DateTime: time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), Type: SessionTypeOneDrive, ShowDeleted: true},
			"/v5/Organizations/" + orgID + "/action", `{"explore":{"datetime":"2020-10-30T10:54:40.0000000Z","type":"veod","showDeleted":true,"showAllVersions":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			f := newFake(t, tt.version)
			f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				assert.Equal(t, tt.path, r.URL.Path)
				assert.Equal(t, tt.body, string(body))
				writeJSON(w, 201, sessionJSON)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			c.now = clock.Now
			s, err := c.StartRestoreSession(context.Background(), orgID, tt.req)
			require.NoError(t, err)
			assert.Equal(t, sessionID, s.ID)
		})
	}
}

func TestVersionDetection(t *testing.T) {
	tests := []struct {
		served []string
		want   Version
		probes []string
	}{
		{[]string{"v5", "v6", "v7", "v8"}, V8, []string{"/v8/ServiceInstance"}},
		{[]string{"v6", "v7"}, V7, []string{"/v8/ServiceInstance", "/v7/ServiceInstance"}},
		{[]string{"v6"}, V6, []string{"/v8/ServiceInstance", "/v7/ServiceInstance", "/v6/ServiceInstance"}},
		{[]string{"v5"}, V5, []string{"/v8/ServiceInstance", "/v7/ServiceInstance", "/v6/ServiceInstance", "/v5/ServiceInstance"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			f := newFake(t, tt.served...)
			c := newTestClient(t, f.start().URL, func(c *Config) { c.Version = "" })
			for range 3 {
				v, err := c.Version(context.Background())
				require.NoError(t, err)
				assert.Equal(t, tt.want, v)
			}
			var paths []string
			for _, r := range f.captured() {
				paths = append(paths, r.Path)
				assert.Empty(t, r.Header.Get("Authorization"))
			}
			assert.Equal(t, tt.probes, paths, "probed once, newest first")
		})
	}
	t.Run("none served", func(t *testing.T) {
		f := newFake(t)
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.Version(context.Background())
		require.Error(t, err)
		assert.Equal(t, 404, StatusCode(err))
		assert.False(t, IsTransient(err))
		assert.Contains(t, err.Error(), "none of the VB365 REST API versions")
	})
	t.Run("pinned version does not probe", func(t *testing.T) {
		f := newFake(t, "v7")
		c := newTestClient(t, f.start().URL, func(c *Config) { c.Version = "V7" })
		v, err := c.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, V7, v)
		assert.Empty(t, f.captured())
	})
	t.Run("network error is transient and not kept", func(t *testing.T) {
		f := newFake(t, "v7")
		srv := httpTestServer(t, hijackFirst(1, f))
		c := newTestClient(t, srv.URL, nil)
		_, err := c.Version(context.Background())
		require.Error(t, err)
		assert.True(t, IsTransient(err))
		assert.Equal(t, 0, StatusCode(err))
		v, err := c.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, V7, v)
	})
	t.Run("503 is transient and not kept", func(t *testing.T) {
		f := newFake(t, "v8")
		var n atomic.Int32
		srv := httpTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				writeJSON(w, 503, `{"message":"Starting."}`)
				return
			}
			f.ServeHTTP(w, r)
		}))
		c := newTestClient(t, srv.URL, nil)
		_, err := c.Version(context.Background())
		require.Error(t, err)
		assert.True(t, IsTransient(err))
		v, err := c.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, V8, v)
	})
}

func TestNewChecksConfig(t *testing.T) {
	ok := Config{BaseURL: "https://vb365.example.com:4443", Username: "u", Password: "p"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no url", func(c *Config) { c.BaseURL = "" }, "base URL is required"},
		{"bad scheme", func(c *Config) { c.BaseURL = "ftp://x" }, "scheme"},
		{"no host", func(c *Config) { c.BaseURL = "https://" }, "no host"},
		{"credentials in url", func(c *Config) { c.BaseURL = "https://admin:Pw-In-Url-1234@x" }, "must not carry credentials"},
		{"query", func(c *Config) { c.BaseURL = "https://x/?a=b" }, "query"},
		{"no user", func(c *Config) { c.Username = "" }, "username is required"},
		{"no password", func(c *Config) { c.Password = "" }, "password is required"},
		{"bad version", func(c *Config) { c.Version = "v9" }, "unknown VB365 API version"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "Pw-In-Url-1234")
		})
	}
	c, err := New(ok)
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.timeout)
	assert.Equal(t, VersionAuto, c.cfg.Version, "empty means auto")
}

// TestNonJSONErrorBodyRedactedBeforeCut: a proxy's page echoing the password
// (as sent, or URL-encoded as in a form body) never reaches the error, even
// where the excerpt's cut falls inside it.
func TestNonJSONErrorBodyRedactedBeforeCut(t *testing.T) {
	const straddling = "Straddling-Secret-Pa55word"
	const escaped = "Pw/with space&more=1234"
	tests := []struct {
		name, password, body string
		leaks                []string // none may appear in the error
	}{
		{"query-escaped echo", escaped, "<html>login failed: grant_type=password&password=" + url.QueryEscape(escaped) + "</html>",
			[]string{url.QueryEscape(escaped), "Pw%2Fwith"}},
		{"path-escaped echo", escaped, "<html>no route to /token/" + url.PathEscape(escaped) + "</html>",
			[]string{url.PathEscape(escaped), "Pw%2Fwith"}},
		{"straddles the cut", straddling, strings.Repeat("x", maxErrorText-10) + straddling + " tail",
			[]string{straddling[:10]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v8")
			f.password = tt.password
			f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if !strings.Contains(r.URL.Path, "/RestoreSessions/") {
					return false
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				_, _ = w.Write([]byte(tt.body))
				return true
			}
			c := newTestClient(t, f.start().URL, func(c *Config) { c.Password = tt.password })
			_, err := c.GetRestoreSession(context.Background(), sessionID)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 502, e.StatusCode)
			assert.Contains(t, e.Message, "[REDACTED]")
			for _, leak := range append(tt.leaks, tt.password) {
				assert.NotContains(t, err.Error(), leak)
			}
		})
	}
}

// TestTransientAgreesWithIsUntrustedCertificate: a call that got no response
// is transient unless it was canceled, refused before sending, or stopped by
// a certificate IsUntrustedCertificate names.
func TestTransientAgreesWithIsUntrustedCertificate(t *testing.T) {
	tests := []struct {
		name          string
		cause         error
		wantUntrusted bool
		wantTransient bool
	}{
		{"unknown authority", &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, true, false},
		{"wrong host", fmt.Errorf("dial: %w", x509.HostnameError{Host: "x"}), true, false},
		{"verification", &tls.CertificateVerificationError{Err: errors.New("expired")}, true, false},
		{"canceled", context.Canceled, false, false},
		{"invalid argument", fmt.Errorf("empty id: %w", ErrInvalidArgument), false, false},
		{"connection refused", errors.New("connect: connection refused"), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantUntrusted, IsUntrustedCertificate(tt.cause))
			e := &Error{Op: "get organization", Err: tt.cause}
			assert.Equal(t, tt.wantTransient, e.Transient())
			assert.Equal(t, tt.wantUntrusted, IsUntrustedCertificate(e), "through *Error")
		})
	}
}

// An offline backup proxy is told apart from an organization never backed
// up: by v8's errorCode ProxyOffline, or by an extendedView answer without
// the window. Both are transient; "never backed up" is an answer.
func TestBackupWindowUnavailable(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		unavailable bool
		backedUp    bool
	}{
		{name: "ProxyOffline 503", status: 503, body: `{"message":"Backup proxy is offline.","errorCode":"ProxyOffline","stackTrace":null}`, unavailable: true},
		{name: "ProxyOffline 400 (status assumed)", status: 400, body: `{"message":"Proxy is offline.","errorCode":"ProxyOffline"}`, unavailable: true},
		{name: "window fields left out", status: 200, body: `{"id":"` + orgID + `","name":"A","type":"Office365"}`, unavailable: true},
		{name: "backed up, window left out", status: 200, body: `{"id":"` + orgID + `","name":"A","isBackedup":true}`, unavailable: true},
		{name: "backed up, window null", status: 200, body: `{"id":"` + orgID + `","name":"A","isBackedup":true,"firstBackuptime":null,"lastBackuptime":null}`, unavailable: true},
		{name: "never backed up", status: 200, body: `{"id":"` + orgID + `","name":"A","isBackedup":false,"firstBackuptime":null,"lastBackuptime":null}`},
		{name: "never backed up, older shape", status: 200, body: `{"id":"` + orgID + `","name":"A","lastBackuptime":null}`},
		{name: "window present", status: 200, body: orgJSON, backedUp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v8")
			f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				writeJSON(w, tt.status, tt.body)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			org, err := c.GetOrganization(context.Background(), orgID)
			if !tt.unavailable {
				require.NoError(t, err)
				assert.Equal(t, tt.backedUp, org.IsBackedUp)
				return
			}
			require.Error(t, err)
			assert.True(t, IsBackupWindowUnavailable(err), "%v", err)
			assert.True(t, IsProxyOffline(err))
			assert.True(t, IsTransient(err))
			assert.Equal(t, tt.status, StatusCode(err))
		})
	}
	t.Run("ProxyOffline elsewhere", func(t *testing.T) {
		f := newFake(t, "v8")
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			writeJSON(w, 400, `{"message":"Proxy is offline.","errorCode":"ProxyOffline"}`)
			return true
		}
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.GetRestoreSession(context.Background(), sessionID)
		assert.True(t, IsProxyOffline(err))
		assert.True(t, IsTransient(err))
		assert.False(t, IsBackupWindowUnavailable(err), "only an organization read is about the backup window")
	})
}
