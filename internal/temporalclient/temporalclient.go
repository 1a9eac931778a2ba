// Package temporalclient connects to Temporal as internal/config.Temporal
// says: plain, TLS with a custom CA, mTLS, or an API key (Temporal Cloud).
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// Options builds the client options for cfg without connecting. logger and
// metrics may be nil.
func Options(cfg config.Temporal, logger log.Logger, metrics client.MetricsHandler) (client.Options, error) {
	opts := client.Options{
		HostPort:       cfg.Address,
		Namespace:      cfg.Namespace,
		Logger:         logger,
		MetricsHandler: metrics,
	}
	tlsCfg, err := TLSConfig(cfg)
	if err != nil {
		return client.Options{}, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey.Reveal())
	}
	return opts, nil
}

// TLSConfig returns the TLS settings for cfg, or nil for a plain connection.
// TLS is on when an API key, a client certificate or a CA is configured.
func TLSConfig(cfg config.Temporal) (*tls.Config, error) {
	if !cfg.TLSEnabled() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSServerName != "" {
		tc.ServerName = cfg.TLSServerName
	} else if host, _, err := net.SplitHostPort(cfg.Address); err == nil {
		tc.ServerName = host
	}
	switch {
	case cfg.TLSCert != "" && cfg.TLSKey != "":
		certPEM, err := os.ReadFile(cfg.TLSCert)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT: %w", err)
		}
		keyPEM, err := os.ReadFile(cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_KEY: %w", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY (%s, %s): %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	case cfg.TLSCert != "":
		return nil, fmt.Errorf("TEMPORAL_TLS_KEY is required when TEMPORAL_TLS_CERT is set")
	case cfg.TLSKey != "":
		return nil, fmt.Errorf("TEMPORAL_TLS_CERT is required when TEMPORAL_TLS_KEY is set")
	}
	if cfg.TLSCA != "" {
		caPEM, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA %s: no PEM certificate found", cfg.TLSCA)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Dial connects to Temporal (the SDK checks the connection once). logger and
// metrics may be nil.
func Dial(ctx context.Context, cfg config.Temporal, logger log.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := Options(cfg, logger, metrics)
	if err != nil {
		return nil, err
	}
	return Connect(ctx, opts)
}

// Connect connects with options built by Options, so that a caller retrying
// the connection builds them (and reads the TLS files) once.
func Connect(ctx context.Context, opts client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s, TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}
