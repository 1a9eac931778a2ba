package vb365

import (
	"context"
	"encoding/pem"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
)

func okSession(w http.ResponseWriter, r *http.Request, _ []byte) bool {
	writeJSON(w, 200, sessionJSON)
	return true
}

func tokenForms(f *fakeVB365) []url.Values {
	var forms []url.Values
	for _, r := range f.captured() {
		if strings.HasSuffix(r.Path, "/token") {
			v, _ := url.ParseQuery(string(r.Body))
			forms = append(forms, v)
		}
	}
	return forms
}

func TestLoginRefusedIsAuthenticationFailure(t *testing.T) {
	for _, status := range []int{0, 401, 403} { // 0: the fake's own 400 invalid_grant
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFake(t, "v8")
			f.password = "another password"
			f.tokenStatus = status
			f.route = okSession
			c := newTestClient(t, f.start().URL, nil)
			_, err := c.GetRestoreSession(context.Background(), sessionID)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.True(t, IsAuthenticationFailure(err))
			assert.False(t, IsTransient(err))
			assert.Equal(t, "get restore session: log in", e.Op)
			assert.Equal(t, "/v8/token", e.Path)
			if status == 0 {
				assert.Equal(t, 400, e.StatusCode)
				assert.Equal(t, "invalid_grant", e.ErrorCode)
				assert.Equal(t, "The user name or password is incorrect.", e.Message)
			}
		})
	}
	t.Run("token service down is transient", func(t *testing.T) {
		f := newFake(t, "v8")
		f.tokenStatus = 503
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.GetRestoreSession(context.Background(), sessionID)
		assert.True(t, IsTransient(err))
		assert.False(t, IsAuthenticationFailure(err))
	})
}

func TestTokenRefreshBeforeExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newFake(t, "v7")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	c.now = clock.Now
	ctx := context.Background()
	get := func() {
		t.Helper()
		_, err := c.GetRestoreSession(ctx, sessionID)
		require.NoError(t, err)
	}

	get()
	clock.Advance(50 * time.Minute) // 10 of 60 minutes left: keep it
	get()
	l, r, _ := f.counts()
	assert.Equal(t, [2]int{1, 0}, [2]int{l, r})

	clock.Advance(5 * time.Minute) // 5 left, under 10%: refresh first
	get()
	l, r, _ = f.counts()
	assert.Equal(t, [2]int{1, 1}, [2]int{l, r})
	forms := tokenForms(f)
	require.Len(t, forms, 2)
	assert.Equal(t, "refresh_token", forms[1].Get("grant_type"))
	assert.Equal(t, "refresh-1", forms[1].Get("refresh_token"))
	assert.Equal(t, "true", forms[1].Get("disable_antiforgery_token"), "v7+: also on refresh")
	assert.Empty(t, forms[1].Get("password"), "a refresh does not resend the password")

	// The refresh token is refused: log in again.
	f.mu.Lock()
	f.refuseRefresh = true
	f.mu.Unlock()
	clock.Advance(59 * time.Minute)
	get()
	l, r, _ = f.counts()
	assert.Equal(t, [2]int{2, 1}, [2]int{l, r})
}

func TestRenewalBlipKeepsValidToken(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newFake(t, "v8")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	c.now = clock.Now
	_, err := c.GetRestoreSession(context.Background(), sessionID)
	require.NoError(t, err)
	f.mu.Lock()
	f.tokenStatus = 503
	f.mu.Unlock()
	clock.Advance(57 * time.Minute) // due for renewal, not expired
	_, err = c.GetRestoreSession(context.Background(), sessionID)
	require.NoError(t, err, "the current token still works while /token is down")
	clock.Advance(5 * time.Minute) // expired now
	_, err = c.GetRestoreSession(context.Background(), sessionID)
	assert.True(t, IsTransient(err))
}

func TestUnauthorizedMidUseRenewsOnceAndRetries(t *testing.T) {
	f := newFake(t, "v8")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	ctx := context.Background()
	_, err := c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err)

	f.revokeAll() // e.g. the server restarted
	_, err = c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err)
	l, r, _ := f.counts()
	assert.Equal(t, 1, l)
	assert.Equal(t, 1, r, "refreshed once")

	// Access and refresh tokens both gone: a new login.
	f.revokeAll()
	f.mu.Lock()
	f.validRefresh = map[string]bool{}
	f.mu.Unlock()
	_, err = c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err)
	l, _, _ = f.counts()
	assert.Equal(t, 2, l)
}

func TestUnauthorizedAfterReloginIsAuthenticationFailure(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		writeJSON(w, 401, `{"message":"The user has no rights on restore sessions."}`)
		return true
	}
	c := newTestClient(t, f.start().URL, nil)
	_, err := c.GetRestoreSession(context.Background(), sessionID)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode)
	assert.True(t, IsAuthenticationFailure(err))
	assert.False(t, IsTransient(err))
	var calls int
	for _, r := range f.captured() {
		if strings.HasPrefix(r.Path, "/v8/RestoreSessions/") {
			calls++
		}
	}
	assert.Equal(t, 2, calls, "sent once, retried once")
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	f := newFake(t, "v6", "v7")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	run := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				_, err := c.GetRestoreSession(context.Background(), sessionID)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	run()
	l, r, p := f.counts()
	assert.Equal(t, 1, l, "one login for 50 callers")
	assert.Equal(t, 0, r)
	assert.Equal(t, 1, p, "one v7 probe answered (after one v8 404)")

	f.revokeAll()
	run()
	l, r, _ = f.counts()
	assert.Equal(t, 1, l)
	assert.Equal(t, 1, r, "50 callers refused at once renew once")
}

// Distinctive secrets, so that a leak cannot hide behind a common word.
const (
	secretPassword = "Pw-S3cr3t-Zebra-7781"
	secretAccess   = "AT-Ultra-Secret-4242-"
	secretRefresh  = "RT-Mega-Secret-9999-"
)

func TestSecretsNeverInErrorsLogsOrURLs(t *testing.T) {
	f := newFake(t, "v8")
	f.password = secretPassword
	f.accessPrefix, f.refreshPrefix = secretAccess, secretRefresh
	f.echoSecrets = true
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		auth := r.Header.Get("Authorization")
		switch {
		case strings.HasSuffix(r.URL.Path, "/Stop"):
			writeJSON(w, 500, `{"message":"Internal error handling `+auth+` for `+secretPassword+`"}`)
		case strings.HasSuffix(r.URL.Path, "/Events"):
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("bad gateway, request had " + auth))
		default:
			writeJSON(w, 200, sessionJSON)
		}
		return true
	}
	srv := f.start()
	log, logs := observedLogger()
	c := newTestClient(t, srv.URL, func(c *Config) { c.Password = secretPassword; c.Logger = log })
	ctx := context.Background()

	var errs []error
	_, err := c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err)
	errs = append(errs, c.StopRestoreSession(ctx, sessionID))
	_, err = c.ListRestoreSessionEvents(ctx, sessionID, ListOptions{})
	errs = append(errs, err)
	f.revokeAll()
	f.mu.Lock()
	f.validRefresh = map[string]bool{}
	f.password = "changed"
	f.mu.Unlock()
	_, err = c.GetRestoreSession(ctx, sessionID) // 401 echoing the token, refresh refused, login refused echoing the password
	errs = append(errs, err)
	require.True(t, IsAuthenticationFailure(err))

	bad := newTestClient(t, srv.URL, func(c *Config) { c.Password = secretPassword + "-typo"; c.Logger = log })
	_, err = bad.GetOrganization(ctx, orgID)
	errs = append(errs, err)

	var texts []string
	for _, err := range errs {
		require.Error(t, err)
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	for _, e := range logs.All() {
		texts = append(texts, e.Message, fmt.Sprint(e.ContextMap()))
	}
	for _, r := range f.captured() {
		texts = append(texts, r.URI)
	}
	assert.NotEmpty(t, logs.FilterMessage("vb365 request").All(), "requests are logged")
	for _, text := range texts {
		for _, secret := range []string{secretPassword, secretAccess, secretRefresh} {
			assert.NotContains(t, text, secret)
		}
	}
	// The fake did echo them: the redaction is what kept them out.
	assert.Contains(t, strings.Join(texts, "\n"), "[REDACTED]")
}

func TestRequestLogLine(t *testing.T) {
	f := newFake(t, "v8")
	f.route = okSession
	log, logs := observedLogger()
	c := newTestClient(t, f.start().URL, func(c *Config) { c.Logger = log })
	_, err := c.GetRestoreSession(context.Background(), sessionID)
	require.NoError(t, err)
	lines := logs.FilterMessage("vb365 request").All()
	require.Len(t, lines, 3) // probe, token, GET
	for _, l := range lines {
		assert.Equal(t, zapcore.DebugLevel, l.Level)
		m := l.ContextMap()
		for _, k := range []string{"op", "method", "path", "status", "duration"} {
			assert.Contains(t, m, k)
		}
		assert.NotContains(t, m, "body")
		assert.NotContains(t, m, "headers")
	}
	assert.Equal(t, "/v8/RestoreSessions/"+sessionID, lines[2].ContextMap()["path"])
	assert.EqualValues(t, 200, lines[2].ContextMap()["status"])
}

// writeCA writes the certificate of an httptest TLS server as a PEM file.
func writeCA(t *testing.T, srv *httptest.Server) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func TestTLS(t *testing.T) {
	f := newFake(t, "v8")
	f.route = okSession
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	t.Run("verified by default", func(t *testing.T) {
		c := newTestClient(t, srv.URL, func(c *Config) { c.Version = V8 })
		_, err := c.GetRestoreSession(ctx, sessionID)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
		assert.False(t, IsTransient(err), "an unknown CA is a setting to fix, not a blip")
	})
	t.Run("CA file", func(t *testing.T) {
		c := newTestClient(t, srv.URL, func(c *Config) { c.CAFile = writeCA(t, srv) })
		_, err := c.GetRestoreSession(ctx, sessionID)
		require.NoError(t, err)
	})
	t.Run("insecure, warned once", func(t *testing.T) {
		log, logs := observedLogger()
		c := newTestClient(t, srv.URL, func(c *Config) { c.InsecureSkipVerify = true; c.Logger = log })
		for range 3 {
			_, err := c.GetRestoreSession(ctx, sessionID)
			require.NoError(t, err)
		}
		warns := logs.FilterLevelExact(zapcore.WarnLevel).All()
		require.Len(t, warns, 1)
		assert.Contains(t, warns[0].Message, "verification")
	})
	t.Run("bad CA files", func(t *testing.T) {
		dir := t.TempDir()
		missing := filepath.Join(dir, "missing.pem")
		empty := filepath.Join(dir, "not-a-cert.pem")
		require.NoError(t, os.WriteFile(empty, []byte("hello, not a certificate\n"), 0o600))
		for file, want := range map[string]string{missing: "read CA file " + missing, empty: "CA file " + empty + " holds no PEM certificate"} {
			_, err := New(Config{BaseURL: srv.URL, Username: "u", Password: "p", CAFile: file})
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		}
	})
}

// The token's own times come as RFC 1123 (ASP.NET's OAuth server) or ISO
// 8601; neither, nor garbage, may fail a login, and expires_in decides the
// lifetime whenever it is there.
func TestTokenTimeFormats(t *testing.T) {
	const rfc1123GMT = "Mon, 02 Jan 2006 15:04:05 GMT"
	tests := []struct {
		name          string
		layout        string
		expiresIn     any
		omitExpiresIn bool
		ttl           int
		want          time.Duration
	}{
		{name: "RFC 1123 with expires_in", layout: rfc1123GMT, ttl: 1800, want: 30 * time.Minute},
		{name: "ISO 8601 with expires_in", layout: "2006-01-02T15:04:05.0000000Z", ttl: 1800, want: 30 * time.Minute},
		{name: "RFC 1123 alone", layout: rfc1123GMT, omitExpiresIn: true, ttl: 1200, want: 20 * time.Minute},
		{name: "ISO 8601 alone", layout: time.RFC3339, omitExpiresIn: true, ttl: 1200, want: 20 * time.Minute},
		{name: "RFC 1123 with a numeric zone alone", layout: time.RFC1123Z, omitExpiresIn: true, ttl: 1200, want: 20 * time.Minute},
		{name: "expires_in as a string", layout: rfc1123GMT, expiresIn: "900", ttl: 1800, want: 15 * time.Minute},
		{name: "unreadable times, expires_in counts", layout: "Monday 3PM", ttl: 600, want: 10 * time.Minute},
		{name: "unreadable everything: the default", layout: "Monday 3PM", expiresIn: "soon", ttl: 600, want: defaultTokenLifetime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v8")
			f.route = okSession
			f.timeLayout, f.expiresIn, f.omitExpiresIn, f.ttlSeconds = tt.layout, tt.expiresIn, tt.omitExpiresIn, tt.ttl
			c := newTestClient(t, f.start().URL, nil)
			_, err := c.GetRestoreSession(context.Background(), sessionID)
			require.NoError(t, err, "the token's times never fail a login")
			tok := c.currentToken()
			require.NotNil(t, tok)
			assert.InDelta(t, tt.want.Seconds(), tok.expires.Sub(tok.issued).Seconds(), 1)
		})
	}
}

// Refresh tokens rotate: each refresh answers a new one and the old one
// stops working, so the client must always refresh with the newest; and
// when a refresh is refused, it logs in with the password instead.
func TestRotatedRefreshToken(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newFake(t, "v8")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	c.now = clock.Now
	get := func() {
		t.Helper()
		_, err := c.GetRestoreSession(context.Background(), sessionID)
		require.NoError(t, err)
	}
	get()
	for range 3 {
		clock.Advance(55 * time.Minute) // due for renewal each time
		get()
	}
	l, r, _ := f.counts()
	assert.Equal(t, [2]int{1, 3}, [2]int{l, r}, "three refreshes in a row, each with the newest refresh token")
	forms := tokenForms(f)
	require.Len(t, forms, 4)
	for i, want := range []string{"refresh-1", "refresh-2", "refresh-3"} {
		assert.Equal(t, want, forms[i+1].Get("refresh_token"))
	}

	// A server that does not resend the refresh token: keep the last one.
	f.mu.Lock()
	f.keepRefresh = true
	f.mu.Unlock()
	clock.Advance(55 * time.Minute)
	get()
	f.mu.Lock()
	f.keepRefresh = false
	f.mu.Unlock()
	clock.Advance(55 * time.Minute)
	get()
	forms = tokenForms(f)
	require.Len(t, forms, 6)
	assert.Equal(t, "refresh-4", forms[4].Get("refresh_token"))
	assert.Equal(t, "refresh-4", forms[5].Get("refresh_token"), "an answer without refresh_token keeps the previous one")
	l, r, _ = f.counts()
	assert.Equal(t, [2]int{1, 5}, [2]int{l, r})

	// The refresh token was revoked (a logout elsewhere, a restart): the
	// refusal falls back to a password login, and the new pair is used.
	f.mu.Lock()
	f.validRefresh = map[string]bool{}
	f.mu.Unlock()
	clock.Advance(55 * time.Minute)
	get()
	l, r, _ = f.counts()
	assert.Equal(t, [2]int{2, 5}, [2]int{l, r})
	clock.Advance(55 * time.Minute)
	get()
	forms = tokenForms(f)
	last := forms[len(forms)-1]
	assert.Equal(t, "refresh_token", last.Get("grant_type"))
	l, r, _ = f.counts()
	assert.Equal(t, [2]int{2, 6}, [2]int{l, r})
}

// TestRenewalMarginForShortTokens: the client renews when 10% of the token's
// life remains, at least a minute, at most half of it.
func TestRenewalMarginForShortTokens(t *testing.T) {
	issued := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life, renewAfter time.Duration
	}{
		{60 * time.Minute, 54 * time.Minute}, // 10%
		{20 * time.Minute, 18 * time.Minute}, // 10%, two minutes
		{5 * time.Minute, 4 * time.Minute},   // at least a minute
		{90 * time.Second, 45 * time.Second}, // at most half
		{2 * time.Second, time.Second},       // at most half
	} {
		tok := &token{issued: issued, expires: issued.Add(tc.life)}
		assert.Equal(t, issued.Add(tc.renewAfter), tok.renewAt(), "life %s", tc.life)
	}
}

// TestRefusedPasswordDropsTheOldToken: a token due for renewal whose refresh
// and password are both refused is not kept for the rest of its life (that
// grace is only for a token service that cannot be reached): the call fails
// as an authentication failure.
func TestRefusedPasswordDropsTheOldToken(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newFake(t, "v8")
	f.route = okSession
	c := newTestClient(t, f.start().URL, nil)
	c.now = clock.Now
	_, err := c.GetRestoreSession(context.Background(), sessionID)
	require.NoError(t, err)
	f.mu.Lock()
	f.refuseRefresh, f.password = true, "changed by an administrator"
	f.mu.Unlock()
	clock.Advance(57 * time.Minute) // due for renewal, not expired
	_, err = c.GetRestoreSession(context.Background(), sessionID)
	require.Error(t, err)
	assert.True(t, IsAuthenticationFailure(err), "got %v", err)
	assert.False(t, IsTransient(err))
}

// TestErrorTextNamesEachPartItHas: an Error says what it has and nothing
// for what it lacks (no ": " before an empty method and path, no "HTTP 0").
func TestErrorTextNamesEachPartItHas(t *testing.T) {
	assert.Equal(t, "vb365: get restore session: GET /v8/RestoreSessions/x: HTTP 404 ResourceNotFound: Not found.",
		(&Error{Op: "get restore session", Method: "GET", Path: "/v8/RestoreSessions/x", StatusCode: 404,
			ErrorCode: "ResourceNotFound", Message: "Not found."}).Error())
	assert.Equal(t, "vb365: log in", (&Error{Op: "log in"}).Error())
	assert.Equal(t, "vb365: log in: POST /v8/token", (&Error{Op: "log in", Method: "POST", Path: "/v8/token"}).Error())
}

// TestTokenLifetimeOfZeroIsTheDefault: expires_in 0 states no lifetime; the
// documented default holds. One second is one second.
func TestTokenLifetimeOfZeroIsTheDefault(t *testing.T) {
	assert.Equal(t, defaultTokenLifetime, (&tokenResponse{ExpiresIn: []byte("0")}).tokenLifetime())
	assert.Equal(t, time.Second, (&tokenResponse{ExpiresIn: []byte("1")}).tokenLifetime())
	assert.Equal(t, 90*time.Second, (&tokenResponse{ExpiresIn: []byte(`"90"`)}).tokenLifetime())
}

// TestRetryAfterBounds: zero seconds and a date of exactly now mean no wait.
func TestRetryAfterBounds(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Duration(0), parseRetryAfter("0", now))
	assert.Equal(t, time.Second, parseRetryAfter("1", now))
	assert.Equal(t, time.Duration(math.MaxInt64), parseRetryAfter("9223372037", now), "seconds past a Duration's range: the longest pause, never a negative one")
	assert.Equal(t, 9223372036*time.Second, parseRetryAfter("9223372036", now), "the most whole seconds a Duration holds: taken as they are")
	assert.Equal(t, time.Duration(0), parseRetryAfter(now.Format(http.TimeFormat), now))
	assert.Equal(t, time.Second, parseRetryAfter(now.Add(time.Second).Format(http.TimeFormat), now))
}

// TestMultipleChoicesIsNotSuccess: a 300 answer is not a success.
func TestMultipleChoicesIsNotSuccess(t *testing.T) {
	assert.True(t, (&response{status: 299}).ok())
	assert.False(t, (&response{status: 300}).ok())
	assert.False(t, (&response{status: 199}).ok())
	assert.True(t, (&response{status: 200}).ok())
}

// TestOrderSentOnlyToV8: v5 to v7 have no order parameters; the client sends
// them to v8 only.
func TestOrderSentOnlyToV8(t *testing.T) {
	for _, v := range []string{"v7", "v8"} {
		f := newFake(t, v)
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			writeJSON(w, 200, `{"offset":0,"limit":30,"results":[],"_links":{}}`)
			return true
		}
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.ListRestoreSessions(context.Background(), ListRestoreSessionsOptions{OrderBy: OrderByCreationTime, OrderAsc: true})
		require.NoError(t, err)
		var q url.Values
		for _, r := range f.captured() {
			if strings.HasSuffix(r.Path, "/RestoreSessions") {
				q = r.Query
			}
		}
		require.NotNil(t, q, v)
		assert.Equal(t, v == "v8", q.Has("orderBy"), v)
		assert.Equal(t, v == "v8", q.Has("orderAsc"), v)
	}
}

// TestErrorExcerptCutOnlyWhenLonger: a non-JSON body of exactly maxErrorText
// characters is kept whole; one more is cut and marked.
func TestErrorExcerptCutOnlyWhenLonger(t *testing.T) {
	keep := func(s string) string { return s }
	var e Error
	e.fillFromBody([]byte(strings.Repeat("x", maxErrorText)), keep)
	assert.Equal(t, strings.Repeat("x", maxErrorText), e.Message)
	e.fillFromBody([]byte(strings.Repeat("x", maxErrorText+1)), keep)
	assert.Equal(t, strings.Repeat("x", maxErrorText)+"...", e.Message)
}

// TestTokenLifetimeWithAFraction: expires_in written as a decimal still counts.
func TestTokenLifetimeWithAFraction(t *testing.T) {
	assert.Equal(t, 90*time.Second, (&tokenResponse{ExpiresIn: []byte("90.0")}).tokenLifetime())
}

// TestRedactsThreeCharacterSecrets: secrets of three characters or more are
// redacted (shorter ones would blank out ordinary text).
func TestRedactsThreeCharacterSecrets(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.Password = "pw3" })
	assert.Equal(t, "bad [REDACTED] here", c.redact("bad pw3 here"))
	c2 := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.Password = "pw" })
	assert.Equal(t, "bad pw here", c2.redact("bad pw here"))
}

// TestPageOffsetFromTheRequestWhenTheServerOmitsIt: a page without "offset"
// is the one asked for.
func TestPageOffsetFromTheRequestWhenTheServerOmitsIt(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		writeJSON(w, 200, `{"limit":30,"results":[],"_links":{}}`)
		return true
	}
	c := newTestClient(t, f.start().URL, nil)
	p, err := c.ListRestoreSessions(context.Background(), ListRestoreSessionsOptions{ListOptions: ListOptions{Offset: 60}})
	require.NoError(t, err)
	assert.Equal(t, 60, p.Offset)
}
