package vb365sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// tokenGrant is what a token stands for: the account, its expiry and the
// login it descends from (a password grant and the refreshes after it), so
// that a logout can revoke the whole chain.
type tokenGrant struct {
	user    string
	expires time.Time
	login   string
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tokenForm reads the token request: form-urlencoded, or JSON.
func tokenForm(c *call) (url.Values, bool) {
	ct, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if strings.Contains(ct, "json") {
		var m map[string]any
		if err := json.Unmarshal(c.body, &m); err != nil {
			return nil, false
		}
		v := url.Values{}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			case bool:
				if x {
					v.Set(k, "true")
				} else {
					v.Set(k, "false")
				}
			}
		}
		return v, true
	}
	v, err := url.ParseQuery(string(c.body))
	return v, err == nil
}

func tokenError(status int, code, desc string) response {
	return jsonResponse(status, wireTokenError{Error: code, ErrorDescription: desc, Message: desc})
}

func (s *Simulator) handleToken(c *call) response {
	form, ok := tokenForm(c)
	if !ok {
		return tokenError(http.StatusBadRequest, "invalid_request", "The request body is not valid.")
	}
	now := s.now()
	var user, login string
	switch grant := form.Get("grant_type"); grant {
	case "password":
		u, p := form.Get("username"), form.Get("password")
		want, known := s.accounts[u]
		if !known || subtle.ConstantTimeCompare([]byte(p), []byte(want)) != 1 {
			s.log.Info("login refused", zap.String("username", u))
			return tokenError(http.StatusBadRequest, "invalid_grant", "The user name or password is incorrect.")
		}
		user = u
		login = randomToken()
		s.stats.logins++
	case "refresh_token":
		// A refresh token is good once: the grant rotates it (OAuth 2.0
		// refresh token rotation), so a replayed one is refused.
		old := form.Get("refresh_token")
		g, ok := s.refresh[old]
		if !ok || !now.Before(g.expires) {
			return tokenError(http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or has expired.")
		}
		delete(s.refresh, old)
		user, login = g.user, g.login
		s.stats.refreshes++
	case "":
		return tokenError(http.StatusBadRequest, "unsupported_grant_type", "The grant_type parameter is required.")
	default:
		return tokenError(http.StatusBadRequest, "unsupported_grant_type", "The grant type '"+grant+"' is not supported by the simulator.")
	}
	s.pruneTokens(now)
	access, refresh := randomToken(), randomToken()
	exp := now.Add(s.opts.TokenTTL)
	s.access[access] = tokenGrant{user: user, expires: exp, login: login}
	s.refresh[refresh] = tokenGrant{user: user, expires: now.Add(s.opts.RefreshTokenTTL), login: login}
	if s.opts.OnToken != nil {
		s.opts.OnToken(access, refresh)
	}
	return jsonResponse(http.StatusOK, wireToken{
		AccessToken:  access,
		TokenType:    "bearer",
		ExpiresIn:    int64(s.opts.TokenTTL / time.Second),
		RefreshToken: refresh,
		UserName:     user,
		Issued:       fmtTime(now),
		Expires:      fmtTime(exp),
	})
}

// pruneTokens forgets expired tokens once the maps grow.
func (s *Simulator) pruneTokens(now time.Time) {
	if len(s.access)+len(s.refresh) < 1024 {
		return
	}
	for k, g := range s.access {
		if !now.Before(g.expires) {
			delete(s.access, k)
		}
	}
	for k, g := range s.refresh {
		if !now.Before(g.expires) {
			delete(s.refresh, k)
		}
	}
}

// handleLogout (v7, v8) ends the login of the bearer token: its access
// token, the refresh token and every token refreshed from the same login
// stop working.
func (s *Simulator) handleLogout(c *call) response {
	tok := bearer(c.r)
	login := s.access[tok].login
	delete(s.access, tok)
	for _, m := range []map[string]tokenGrant{s.access, s.refresh} {
		for k, g := range m {
			if g.login == login {
				delete(m, k)
			}
		}
	}
	if c.vn >= 8 {
		return response{status: http.StatusNoContent}
	}
	return response{status: http.StatusOK}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate checks the bearer token; called with s.mu held.
func (s *Simulator) authenticate(c *call) (string, response, bool) {
	unauthorized := func(msg string) response {
		r := errorResponse(c.vn, http.StatusUnauthorized, "", msg)
		r.header = http.Header{"WWW-Authenticate": {`Bearer`}}
		return r
	}
	tok := bearer(c.r)
	if tok == "" {
		return "", unauthorized("Authorization has been denied for this request."), false
	}
	g, ok := s.access[tok]
	if !ok {
		return "", unauthorized("Authorization has been denied for this request."), false
	}
	if !s.now().Before(g.expires) {
		return "", unauthorized("The access token has expired."), false
	}
	return g.user, response{}, true
}

func (s *Simulator) handleServiceInstance(c *call) response {
	return jsonResponse(http.StatusOK, wireServiceInstance{
		InstallationID: "0f6f1a52-7d1b-4f2a-9c51-3b0e8d6c2a77",
		Version:        "8.1.0.305",
	})
}
