package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

// maxBody bounds a request: Temporal's payload limit is 2 MB per payload,
// and the Web UI sends a few at a time.
const maxBody = 16 << 20

// authorizer accepts or refuses a request's bearer token.
type authorizer interface {
	authorize(ctx context.Context, token string) error
}

var errNoToken = errors.New("no bearer token")

// staticTokens accepts the tokens of CODEC_TOKENS_FILE.
type staticTokens []config.Secret

func (s staticTokens) authorize(_ context.Context, token string) error {
	if token == "" {
		return errNoToken
	}
	ok := 0
	for _, t := range s {
		ok |= subtle.ConstantTimeCompare([]byte(t.Reveal()), []byte(token))
	}
	if ok != 1 {
		return errors.New("unknown bearer token")
	}
	return nil
}

// oidcTokens accepts a JWT signed by the issuer's keys (fetched and cached
// by go-oidc from the issuer's JWKS), for the configured audience, unexpired.
type oidcTokens struct{ verifier *oidc.IDTokenVerifier }

func newOIDC(ctx context.Context, issuer, audience string) (*oidcTokens, error) {
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	return &oidcTokens{verifier: provider.Verifier(&oidc.Config{ClientID: audience})}, nil
}

func (o *oidcTokens) authorize(ctx context.Context, token string) error {
	if token == "" {
		return errNoToken
	}
	_, err := o.verifier.Verify(ctx, token)
	return err
}

// anonymous accepts every request; config allows it on loopback only.
type anonymous struct{}

func (anonymous) authorize(context.Context, string) error { return nil }

// server answers Temporal's remote codec protocol: POST /encode and
// POST /decode with a JSON Payloads body, for the namespace in X-Namespace.
// The SDK's handler does the protocol; server adds CORS, authorization and
// the namespace allow-list around it.
type server struct {
	codec      http.Handler
	auth       authorizer
	namespaces []string
	origins    []string
	logger     *zap.Logger
}

func newServer(keys *payloadcrypt.Keys, auth authorizer, namespaces, origins []string, logger *zap.Logger) *server {
	return &server{
		codec:      converter.NewPayloadCodecHTTPHandler(payloadcrypt.Codecs(keys)...),
		auth:       auth,
		namespaces: namespaces,
		origins:    origins,
		logger:     logger,
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	if r.URL.Path != "/encode" && r.URL.Path != "/decode" {
		http.NotFound(w, r)
		return
	}
	// A browser sends Origin; a CLI does not. Only the configured Web UIs
	// may call from a browser, and they get no CORS headers otherwise, so
	// the browser refuses the answer too.
	if origin := r.Header.Get("Origin"); origin != "" {
		if !slices.Contains(s.origins, origin) {
			s.refuse(w, r, http.StatusForbidden, "origin not allowed", zap.String("origin", origin))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed: want POST", http.StatusMethodNotAllowed)
		return
	}
	if err := s.auth.authorize(r.Context(), bearer(r)); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vb365-restore codec"`)
		s.refuse(w, r, http.StatusUnauthorized, "unauthorized", zap.NamedError("reason", err))
		return
	}
	ns := r.Header.Get("X-Namespace")
	if ns == "" {
		// The temporal CLI sends the header only with an explicit --namespace.
		s.refuse(w, r, http.StatusForbidden, "no X-Namespace header (temporal CLI: pass --namespace)", zap.String("namespace", ns))
		return
	}
	if !slices.Contains(s.namespaces, ns) {
		s.refuse(w, r, http.StatusForbidden, "namespace not allowed", zap.String("namespace", ns))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	start := time.Now()
	s.codec.ServeHTTP(w, r)
	s.logger.Debug("codec request", zap.String("path", r.URL.Path), zap.String("namespace", ns),
		zap.Duration("took", time.Since(start)))
}

// refuse answers status with a fixed text and logs why; the reason never
// holds a token.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, status int, text string, why zap.Field) {
	s.logger.Info("codec request refused", zap.String("path", r.URL.Path), zap.Int("status", status), why,
		zap.String("remote", r.RemoteAddr))
	http.Error(w, text, status)
}

// bearer is the request's bearer token, or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
