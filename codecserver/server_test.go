package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

const (
	uiOrigin = "http://localhost:8233"
	token    = "codec-test-token-0123456789"
)

var rawKey = bytes.Repeat([]byte{0x42}, 32)

func keyFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "keys.yaml")
	require.NoError(t, os.WriteFile(f, []byte("current: k1\nkeys:\n  k1: "+base64.StdEncoding.EncodeToString(rawKey)+"\n"), 0o600))
	return f
}

func testKeys(t *testing.T) *payloadcrypt.Keys {
	k, err := payloadcrypt.LoadKeysFile(keyFile(t))
	require.NoError(t, err)
	return k
}

func testServer(t *testing.T, auth authorizer) *httptest.Server {
	srv := httptest.NewServer(newServer(testKeys(t), auth, []string{"default"}, []string{uiOrigin}, zap.NewNop()))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// remote is the SDK's own client of the remote codec protocol.
func remote(url string, headers map[string]string) converter.PayloadCodec {
	return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: url,
		ModifyRequest: func(r *http.Request) error {
			for k, v := range headers {
				r.Header.Set(k, v)
			}
			return nil
		},
	})
}

func TestCodecServerAuthorization(t *testing.T) {
	srv := testServer(t, staticTokens{config.Secret(token)})
	ok := map[string]string{"Authorization": "Bearer " + token, "X-Namespace": "default"}

	resp := post(t, srv.URL+"/decode", map[string]string{"X-Namespace": "default"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token")
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	resp = post(t, srv.URL+"/decode", map[string]string{"X-Namespace": "default", "Authorization": "Bearer not-the-token-at-all"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "wrong token")
	resp = post(t, srv.URL+"/decode", map[string]string{"Authorization": "Bearer " + token, "X-Namespace": "payroll"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "namespace not allowed")
	resp = post(t, srv.URL+"/decode", map[string]string{"Authorization": "Bearer " + token})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no namespace")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "--namespace", "says what the CLI needs")
	resp = post(t, srv.URL+"/decode", ok)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// 200: the SDK's remote codec encodes and decodes through it.
	plain, err := converter.GetDefaultDataConverter().ToPayload("Board minutes.docx")
	require.NoError(t, err)
	rc := remote(srv.URL, ok)
	enc, err := rc.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	assert.Equal(t, "k1", string(enc[0].Metadata[payloadcrypt.MetadataKeyID]))
	assert.NotContains(t, string(enc[0].Data), "Board minutes")
	dec, err := rc.Decode(enc)
	require.NoError(t, err)
	assert.Equal(t, string(plain.Data), string(dec[0].Data))

	// What the worker encrypted, the server decodes.
	p, err := payloadcrypt.DataConverter(testKeys(t)).ToPayload("Contoso Ltd")
	require.NoError(t, err)
	dec, err = rc.Decode([]*commonpb.Payload{p})
	require.NoError(t, err)
	assert.Contains(t, string(dec[0].Data), "Contoso Ltd")

	_, err = remote(srv.URL, map[string]string{"X-Namespace": "default"}).Decode([]*commonpb.Payload{p})
	require.Error(t, err)
}

func TestCodecServerCORS(t *testing.T) {
	srv := testServer(t, staticTokens{config.Secret(token)})
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp
	}
	resp := preflight(uiOrigin)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")

	resp = preflight("https://evil.example.com")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	ok := map[string]string{"Authorization": "Bearer " + token, "X-Namespace": "default"}
	resp = post(t, srv.URL+"/decode", map[string]string{"Origin": "https://evil.example.com", "Authorization": ok["Authorization"], "X-Namespace": "default"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp = post(t, srv.URL+"/decode", map[string]string{"Origin": uiOrigin, "Authorization": ok["Authorization"], "X-Namespace": "default"})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
}

// issuer is a minimal OIDC issuer: discovery, JWKS and a signing key.
type issuer struct {
	*httptest.Server
	key *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	iss := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/jwks",
			"authorization_endpoint": iss.URL + "/auth", "token_endpoint": iss.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "kid1", Algorithm: "RS256", Use: "sig"}}})
	})
	iss.Server = httptest.NewServer(mux)
	t.Cleanup(iss.Close)
	return iss
}

func (iss *issuer) token(t *testing.T, key *rsa.PrivateKey, audience string, expiry time.Time) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "kid1"))
	require.NoError(t, err)
	s, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: iss.URL, Subject: "operator@example.com", Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(time.Now().Add(-time.Minute)), Expiry: jwt.NewNumericDate(expiry),
	}).Serialize()
	require.NoError(t, err)
	return s
}

func TestCodecServerOIDC(t *testing.T) {
	iss := newIssuer(t)
	o, err := newOIDC(context.Background(), iss.URL, "temporal-ui")
	require.NoError(t, err)
	srv := testServer(t, o)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	hour := time.Now().Add(time.Hour)
	for _, c := range []struct {
		name  string
		token string
		want  int
	}{
		{"valid", iss.token(t, iss.key, "temporal-ui", hour), http.StatusOK},
		{"none", "", http.StatusUnauthorized},
		{"another audience", iss.token(t, iss.key, "grafana", hour), http.StatusUnauthorized},
		{"expired", iss.token(t, iss.key, "temporal-ui", time.Now().Add(-time.Minute)), http.StatusUnauthorized},
		{"signed by another key", iss.token(t, other, "temporal-ui", hour), http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"X-Namespace": "default"}
			if c.token != "" {
				h["Authorization"] = "Bearer " + c.token
			}
			assert.Equal(t, c.want, post(t, srv.URL+"/decode", h).StatusCode)
		})
	}
}

func TestBadSettingsExit2(t *testing.T) {
	keys := keyFile(t)
	tokens := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte("# operators\n"+token+"\n"), 0o600))
	short := filepath.Join(t.TempDir(), "short.yaml")
	require.NoError(t, os.WriteFile(short, []byte("current: k1\nkeys: {k1: "+base64.StdEncoding.EncodeToString(rawKey[:16])+"}\n"), 0o600))
	base := []string{"PAYLOAD_KEYS_FILE=" + keys, "CODEC_NAMESPACES=default", "CODEC_TOKENS_FILE=" + tokens}
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"no keys", []string{"CODEC_NAMESPACES=default", "CODEC_TOKENS_FILE=" + tokens}, "PAYLOAD_KEYS_FILE is required"},
		{"short key", []string{"PAYLOAD_KEYS_FILE=" + short, "CODEC_NAMESPACES=default", "CODEC_TOKENS_FILE=" + tokens}, "key k1 has 16 bytes"},
		{"no namespaces", []string{"PAYLOAD_KEYS_FILE=" + keys, "CODEC_TOKENS_FILE=" + tokens}, "CODEC_NAMESPACES is required"},
		{"no tokens by default", []string{"PAYLOAD_KEYS_FILE=" + keys, "CODEC_NAMESPACES=default"}, "CODEC_TOKENS_FILE is required"},
		{"anonymous on all interfaces", append(base, "CODEC_AUTH=none", "CODEC_LISTEN_ADDR=:8089"), "only allowed on a loopback"},
		{"anonymous on a routable address", append(base, "CODEC_AUTH=none", "CODEC_LISTEN_ADDR=10.1.2.3:8089"), "only allowed on a loopback"},
		{"oidc without issuer", append(base, "CODEC_AUTH=oidc", "CODEC_OIDC_AUDIENCE=ui"), "CODEC_OIDC_ISSUER"},
		{"oidc without audience", append(base, "CODEC_AUTH=oidc", "CODEC_OIDC_ISSUER=https://login.example.com"), "CODEC_OIDC_AUDIENCE is required"},
		{"bad origin", append(base, "CODEC_CORS_ORIGINS=localhost:8233"), "CODEC_CORS_ORIGINS"},
		{"bad auth", append(base, "CODEC_AUTH=basic"), `CODEC_AUTH "basic"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitConfig, run(context.Background(), nil, c.env, &stdout, &stderr, nil))
			assert.Contains(t, stderr.String(), c.want)
			assert.NotContains(t, stderr.String(), base64.StdEncoding.EncodeToString(rawKey))
			assert.NotContains(t, stderr.String(), base64.StdEncoding.EncodeToString(rawKey[:16]))
			assert.NotContains(t, stderr.String(), token)
		})
	}
}

// TestServesAndNeverLogsSecrets runs the command: anonymous on loopback when
// asked, and neither a key nor a token in its log.
func TestServesAndNeverLogsSecrets(t *testing.T) {
	keys := keyFile(t)
	tokens := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte(token+"\n"), 0o600))
	for _, c := range []struct {
		name string
		env  []string
		want int // status without a token
	}{
		{"token", []string{"CODEC_TOKENS_FILE=" + tokens}, http.StatusUnauthorized},
		{"anonymous on loopback", []string{"CODEC_AUTH=none"}, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := append([]string{"PAYLOAD_KEYS_FILE=" + keys, "CODEC_NAMESPACES=default,dr", "CODEC_LISTEN_ADDR=127.0.0.1:0",
				"CODEC_CORS_ORIGINS=" + uiOrigin, "LOG_LEVEL=debug"}, c.env...)
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			ready := make(chan string, 1)
			done := make(chan int, 1)
			go func() { done <- run(ctx, nil, env, &stdout, &stderr, ready) }()
			var addr string
			select {
			case addr = <-ready:
			case code := <-done:
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			url := "http://" + addr
			assert.Equal(t, c.want, post(t, url+"/decode", map[string]string{"X-Namespace": "dr"}).StatusCode)
			assert.Equal(t, http.StatusOK, post(t, url+"/decode", map[string]string{"X-Namespace": "dr", "Authorization": "Bearer " + token}).StatusCode)
			assert.Equal(t, http.StatusUnauthorized == c.want, post(t, url+"/decode", map[string]string{"X-Namespace": "dr", "Authorization": "Bearer wrong-" + token}).StatusCode == http.StatusUnauthorized)
			cancel()
			assert.Equal(t, exitOK, <-done)
			log := stderr.String()
			assert.Contains(t, log, "codec server listening")
			for _, secret := range []string{base64.StdEncoding.EncodeToString(rawKey), string(rawKey), fmt.Sprint(rawKey), token} {
				assert.NotContains(t, log, secret)
			}
		})
	}
}

func TestHelpListsVariables(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"-h"}, nil, &stdout, &stderr, nil))
	for _, v := range config.CodecServerVariables() {
		assert.Contains(t, stdout.String(), v.Name)
	}
}
