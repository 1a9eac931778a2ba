package vb365

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Transport sizing. One worker process runs hundreds of activities against
// the same VB365 server; Go's default of 2 idle connections per host would
// make most of them pay a fresh TCP and TLS handshake on every call.
const (
	maxIdleConns        = 512
	maxIdleConnsPerHost = 256
	idleConnTimeout     = 90 * time.Second
	tlsHandshakeTimeout = 15 * time.Second
	dialTimeout         = 15 * time.Second
)

// LoadCAPool returns the system roots plus the PEM certificates in caFile.
// VB365 servers often present a self-signed certificate; adding its CA keeps
// verification on instead of turning it off. The error names the file,
// because the operator set it and must fix it.
func LoadCAPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("vb365: read CA file %s: %w", caFile, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system pool (some minimal containers): the file alone must do.
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("vb365: CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// newTransport builds the HTTP transport for cfg: verified TLS (with the
// optional CA file), generous connection reuse, bounded dial and handshake.
func newTransport(cfg Config) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := LoadCAPool(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.InsecureSkipVerify {
		tlsCfg.InsecureSkipVerify = true // #nosec G402 -- explicit operator setting, logged by New
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
	}, nil
}
