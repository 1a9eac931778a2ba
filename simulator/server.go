package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// run serves until ctx ends. ready, if set, receives the listening address.
func run(ctx context.Context, args []string, ready func(addr string)) error {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	level := zapcore.InfoLevel
	if cfg.debug {
		level = zapcore.DebugLevel
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	log, err := zc.Build()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	var sc *vb365sim.Scenario
	if cfg.scenario != "" {
		if sc, err = vb365sim.LoadScenario(cfg.scenario); err != nil {
			return err
		}
	}
	scheme := "https"
	if cfg.insecureHTTP {
		scheme = "http"
	}
	sim := vb365sim.New(vb365sim.Options{
		Username: cfg.username, Password: cfg.password, Users: cfg.users, TokenTTL: cfg.tokenTTL,
		Versions: cfg.versions, Scenario: sc, Logger: log, LinkScheme: scheme, Behaviour: cfg.behaviour,
	})
	defer sim.Close()
	for _, id := range cfg.proxyOffline {
		if err := sim.SetOrganizationBehaviour(id, vb365sim.Behaviour{ProxyOffline: new(true)}); err != nil {
			return fmt.Errorf("--proxy-offline: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		// HTTP/1.1 only, so that dropAfterCommit faults can hijack connections.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	if !cfg.insecureHTTP {
		host, _, _ := net.SplitHostPort(cfg.addr)
		tlsCfg, caPEM, err := vb365sim.NewSelfSignedTLS(append(certHosts(host), cfg.certHosts...))
		if err != nil {
			_ = ln.Close()
			return err
		}
		if cfg.caOut != "" {
			if err := writeFileAtomic(cfg.caOut, caPEM); err != nil {
				_ = ln.Close()
				return err
			}
			log.Info("CA certificate written", zap.String("file", cfg.caOut))
		}
		ln = tls.NewListener(ln, tlsCfg)
	}
	addr := ln.Addr().String()
	log.Info("VB365 simulator listening", zap.String("addr", addr), zap.String("scheme", scheme),
		zap.Strings("versions", cfg.versions), zap.String("username", cfg.username),
		zap.Duration("tokenTTL", cfg.tokenTTL), zap.String("scenario", cfg.scenario))
	if ready != nil {
		ready(addr)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sim.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// certHosts are the certificate's names: loopback, localhost and the
// listening host (unless it is a wildcard).
func certHosts(host string) []string {
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if host != "" && host != "0.0.0.0" && host != "::" {
		seen := false
		for _, h := range hosts {
			seen = seen || h == host
		}
		if !seen {
			hosts = append(hosts, host)
		}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if name, err := os.Hostname(); err == nil {
			hosts = append(hosts, name)
		}
	}
	return hosts
}

// writeFileAtomic writes through a temporary file and a rename, so that a
// reader (a health check) never sees half a certificate.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
