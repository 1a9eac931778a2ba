package temporalclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// throwaway writes a self-signed certificate and its key, returning the paths.
func throwaway(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vb365-restore-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile = filepath.Join(dir, "client.pem")
	keyFile = filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

func base() config.Temporal {
	return config.Temporal{Address: "temporal.example.com:7233", Namespace: "dr", TaskQueue: "vb365-restore"}
}

func TestOptionsPlain(t *testing.T) {
	opts, err := Options(base(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "temporal.example.com:7233", opts.HostPort)
	assert.Equal(t, "dr", opts.Namespace)
	assert.Nil(t, opts.ConnectionOptions.TLS)
	assert.Nil(t, opts.Credentials)
}

func TestOptionsMTLS(t *testing.T) {
	cert, key := throwaway(t)
	cfg := base()
	cfg.TLSCert, cfg.TLSKey, cfg.TLSCA = cert, key, cert
	opts, err := Options(cfg, nil, nil)
	require.NoError(t, err)
	tc := opts.ConnectionOptions.TLS
	require.NotNil(t, tc)
	require.Len(t, tc.Certificates, 1)
	assert.NotNil(t, tc.RootCAs)
	assert.Equal(t, "temporal.example.com", tc.ServerName)
	assert.Nil(t, opts.Credentials)

	cfg.TLSServerName = "frontend.internal"
	cfg.TLSCA = ""
	opts, err = Options(cfg, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "frontend.internal", opts.ConnectionOptions.TLS.ServerName)
	assert.Nil(t, opts.ConnectionOptions.TLS.RootCAs, "no CA: system roots")
}

func TestOptionsAPIKey(t *testing.T) {
	cfg := base()
	cfg.Address = "eu-west-1.aws.api.temporal.io:7233"
	cfg.APIKey = "the-key"
	opts, err := Options(cfg, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS, "an API key turns TLS on")
	assert.Empty(t, opts.ConnectionOptions.TLS.Certificates)
	require.NotNil(t, opts.Credentials)
	assert.IsType(t, client.NewAPIKeyStaticCredentials("x"), opts.Credentials)
}

func TestOptionsCAOnly(t *testing.T) {
	cert, _ := throwaway(t)
	cfg := base()
	cfg.TLSCA = cert
	opts, err := Options(cfg, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	assert.NotNil(t, opts.ConnectionOptions.TLS.RootCAs)
	assert.Empty(t, opts.ConnectionOptions.TLS.Certificates)
}

func TestOptionsErrorsNameTheVariable(t *testing.T) {
	cert, key := throwaway(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	require.NoError(t, os.WriteFile(junk, []byte("not pem"), 0o600))
	tests := []struct {
		name       string
		cert, key  string
		ca         string
		wantSubstr string
	}{
		{"cert unreadable", "/nonexistent/cert.pem", key, "", "TEMPORAL_TLS_CERT: open /nonexistent/cert.pem"},
		{"key unreadable", cert, "/nonexistent/key.pem", "", "TEMPORAL_TLS_KEY: open /nonexistent/key.pem"},
		{"ca unreadable", cert, key, "/nonexistent/ca.pem", "TEMPORAL_TLS_CA: open /nonexistent/ca.pem"},
		{"ca not pem", cert, key, junk, "TEMPORAL_TLS_CA " + junk + ": no PEM certificate"},
		{"pair mismatch", cert, junk, "", "TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY"},
		{"cert without key", cert, "", "", "TEMPORAL_TLS_KEY is required"},
		{"key without cert", "", key, "", "TEMPORAL_TLS_CERT is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			cfg.TLSCert, cfg.TLSKey, cfg.TLSCA = tt.cert, tt.key, tt.ca
			_, err := Options(cfg, nil, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantSubstr)
		})
	}
}

func TestDialUnreachableNamesAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cfg := base()
	cfg.Address = "127.0.0.1:1"
	_, err := Dial(ctx, cfg, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1")
}
