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

// load reads the Temporal settings from env, as the worker and starter do.
func load(t *testing.T, env ...string) config.Temporal {
	t.Helper()
	cfg, err := config.LoadTemporal(append([]string{"TEMPORAL_ADDRESS=temporal.example.com:7233", "TEMPORAL_NAMESPACE=dr"}, env...))
	require.NoError(t, err)
	return cfg
}

func TestOptionsPlain(t *testing.T) {
	opts := Options(load(t), nil, nil)
	assert.Equal(t, "temporal.example.com:7233", opts.HostPort)
	assert.Equal(t, "dr", opts.Namespace)
	assert.Nil(t, opts.ConnectionOptions.TLS)
	assert.Nil(t, opts.Credentials)
}

func TestOptionsMTLS(t *testing.T) {
	cert, key := throwaway(t)
	opts := Options(load(t, "TEMPORAL_TLS_CLIENT_CERT_PATH="+cert, "TEMPORAL_TLS_CLIENT_KEY_PATH="+key,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH="+cert, "TEMPORAL_TLS_SERVER_NAME=frontend.internal"), nil, nil)
	tc := opts.ConnectionOptions.TLS
	require.NotNil(t, tc)
	require.Len(t, tc.Certificates, 1)
	assert.NotNil(t, tc.RootCAs)
	assert.Equal(t, "frontend.internal", tc.ServerName)
	assert.Nil(t, opts.Credentials)
}

func TestOptionsAPIKey(t *testing.T) {
	opts := Options(load(t, "TEMPORAL_ADDRESS=eu-west-1.aws.api.temporal.io:7233", "TEMPORAL_API_KEY=the-key"), nil, nil)
	require.NotNil(t, opts.ConnectionOptions.TLS, "an API key turns TLS on")
	assert.Empty(t, opts.ConnectionOptions.TLS.Certificates)
	require.NotNil(t, opts.Credentials)
	assert.IsType(t, client.NewAPIKeyStaticCredentials("x"), opts.Credentials)
	assert.Equal(t, "eu-west-1.aws.api.temporal.io:7233", opts.HostPort)
}

func TestOptionsCAOnly(t *testing.T) {
	cert, _ := throwaway(t)
	opts := Options(load(t, "TEMPORAL_TLS_SERVER_CA_CERT_PATH="+cert), nil, nil)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	assert.NotNil(t, opts.ConnectionOptions.TLS.RootCAs)
	assert.Empty(t, opts.ConnectionOptions.TLS.Certificates)
}

func TestDialUnreachableNamesAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := Dial(ctx, load(t, "TEMPORAL_ADDRESS=127.0.0.1:1"), nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1")
}
