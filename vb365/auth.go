package vb365

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// token is the bearer token all callers of a Client share. Times are on the
// client's clock: issued is when the client asked for it (not when VB365
// answered), so the computed expiry errs on the early side.
type token struct {
	access  string
	refresh string
	issued  time.Time
	expires time.Time
}

// renewAt is when the client stops using the token and renews it: when 10% of
// its lifetime (at least a minute) remains, so that a call started just
// before expiry does not reach VB365 with a dead token. For very short
// lifetimes (tests, odd server settings) the margin is capped at half.
func (t *token) renewAt() time.Time {
	life := t.expires.Sub(t.issued)
	margin := life / 10
	if margin < time.Minute {
		margin = time.Minute
	}
	if margin > life/2 {
		margin = life / 2
	}
	return t.expires.Add(-margin)
}

// defaultTokenLifetime is VB365's documented default, used only when a token
// response states no lifetime at all.
const defaultTokenLifetime = 60 * time.Minute

// tokenResponse is the body of a successful POST /vN/token. Only
// access_token is required: the lifetime fields are read leniently and never
// fail a login (see tokenLifetime).
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	UserName     string          `json:"userName"`
	Issued       json.RawMessage `json:".issued"`
	Expires      json.RawMessage `json:".expires"`
}

// tokenLifetime is how long a token lasts. expires_in (seconds, a number or
// a numeric string) is what counts; .issued and .expires are only a fallback
// when it is missing. ASP.NET's OAuth server, which VB365's token endpoint
// follows, writes those two as RFC 1123 ("Mon, 14 Oct 2013 06:53:32 GMT"),
// other servers as ISO 8601: both are read, and anything else is ignored
// rather than failing the login. With neither, the documented default.
func (tr *tokenResponse) tokenLifetime() time.Duration {
	if n, ok := jsonSeconds(tr.ExpiresIn); ok && n > 0 {
		return time.Duration(n) * time.Second
	}
	issued, okI := tokenTime(tr.Issued)
	expires, okE := tokenTime(tr.Expires)
	if okI && okE && expires.After(issued) {
		return expires.Sub(issued)
	}
	return defaultTokenLifetime
}

// jsonSeconds reads a whole number of seconds sent as a JSON number or string.
func jsonSeconds(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	if f, err := n.Float64(); err == nil && f < 1<<62 {
		return int64(f), true
	}
	return 0, false
}

// tokenTime reads .issued or .expires: RFC 1123 (and the other HTTP date
// forms) or any time ParseTime reads.
func tokenTime(raw json.RawMessage) (time.Time, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, false
	}
	if t, err := http.ParseTime(strings.TrimSpace(s)); err == nil {
		return t, true
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	if t, err := ParseTime(s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (c *Client) currentToken() *token {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	return c.tok
}

func (c *Client) storeToken(t *token) {
	c.tokenMu.Lock()
	c.tok = t
	c.tokenMu.Unlock()
}

// accessToken returns a token that is not due for renewal, logging in or
// refreshing first when needed. Only one caller at a time renews; the others
// wait for it and then use its token.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if t := c.currentToken(); t != nil && c.now().Before(t.renewAt()) {
		return t.access, nil
	}
	if err := acquire(ctx, c.authSem); err != nil {
		return "", &Error{Op: "log in", Err: err}
	}
	defer release(c.authSem)
	t := c.currentToken()
	if t != nil && c.now().Before(t.renewAt()) { // renewed while we waited
		return t.access, nil
	}
	return c.renew(ctx, t, true)
}

// renewAfter401 replaces a token VB365 refused. If another caller already
// replaced it, that token is used instead of renewing again: fifty callers
// refused at once cause one renewal.
func (c *Client) renewAfter401(ctx context.Context, refused string) (string, error) {
	if err := acquire(ctx, c.authSem); err != nil {
		return "", &Error{Op: "log in", Err: err}
	}
	defer release(c.authSem)
	t := c.currentToken()
	if t != nil && t.access != refused && c.now().Before(t.renewAt()) {
		return t.access, nil
	}
	return c.renew(ctx, t, false)
}

// renew refreshes old with its refresh token or, failing that, logs in
// again. Callers hold authSem. With keepOld, a token that is due for renewal
// but not yet expired stays in use when VB365 cannot be reached right now:
// the renewal margin exists so that such a blip costs nothing.
func (c *Client) renew(ctx context.Context, old *token, keepOld bool) (string, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return "", err
	}
	if old != nil && old.refresh != "" {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.refresh}}
		t, err := c.requestToken(ctx, v, "refresh token", form)
		if err == nil {
			// Refresh tokens may rotate: the answer's is the newest and
			// the old one may no longer work. A server that does not
			// rotate may leave it out; then the old one stays.
			if t.refresh == "" {
				t.refresh = old.refresh
			}
			c.storeToken(t)
			return t.access, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		// An expired, revoked or rotated-away refresh token is normal (its
		// lifetime is not documented): log in again.
		c.log.Debug("VB365 token refresh failed; logging in again", zap.Error(err))
	}
	form := url.Values{"grant_type": {"password"}, "username": {c.cfg.Username}, "password": {c.cfg.Password}}
	t, err := c.requestToken(ctx, v, "log in", form)
	if err != nil {
		if keepOld && old != nil && c.now().Before(old.expires) && IsTransient(err) {
			c.log.Warn("VB365 login failed; using the current token until it expires", zap.Error(err))
			return old.access, nil
		}
		return "", err
	}
	c.storeToken(t)
	c.log.Debug("logged in to VB365", zap.Time("tokenExpires", t.expires))
	return t.access, nil
}

// requestToken posts one grant to /vN/token. The form goes as
// application/x-www-form-urlencoded, the encoding every version documents;
// v7 and later also get disable_antiforgery_token=true, since a non-browser
// client has no cookie jar to hold the antiforgery token.
func (c *Client) requestToken(ctx context.Context, v Version, op string, form url.Values) (*token, error) {
	if v != V5 && v != V6 {
		form.Set("disable_antiforgery_token", "true")
	}
	r := &request{
		op:          op,
		method:      http.MethodPost,
		path:        "/" + string(v) + "/token",
		body:        []byte(form.Encode()),
		contentType: "application/x-www-form-urlencoded",
	}
	issued := c.now()
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return nil, err
	}
	if !resp.ok() {
		e := c.statusError(r, resp)
		switch resp.status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			// VB365 answers a wrong password with 400 invalid_grant.
			e.authFailure = op == "log in"
		}
		return nil, e
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.body, &tr); err != nil {
		// The error names JSON positions and types, never values.
		return nil, &Error{Op: op, Method: r.method, Path: r.path, StatusCode: resp.status, Err: fmt.Errorf("decode token response: %w", err)}
	}
	if tr.AccessToken == "" {
		return nil, &Error{Op: op, Method: r.method, Path: r.path, StatusCode: resp.status, Err: errors.New("token response without access_token")}
	}
	return &token{access: tr.AccessToken, refresh: tr.RefreshToken, issued: issued, expires: issued.Add(tr.tokenLifetime())}, nil
}
