package testenv

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// Sim is the VB365 simulator served over HTTPS on a loopback port, with its
// CA written to a file for the worker's VB365_CA_FILE. Pause closes the
// listener (clients then get "connection refused") and Resume listens again
// on the same address.
type Sim struct {
	*vb365sim.Simulator
	URL    string
	CAFile string

	addr   string
	tlsCfg *tls.Config
	mu     sync.Mutex
	srv    *http.Server
	done   chan struct{}
}

// StartSim serves a new simulator; dir receives the CA file.
func StartSim(opts vb365sim.Options, dir string) (*Sim, error) {
	tlsCfg, caPEM, err := vb365sim.NewSelfSignedTLS([]string{"127.0.0.1", "localhost"})
	if err != nil {
		return nil, fmt.Errorf("simulator certificate: %w", err)
	}
	caFile := filepath.Join(dir, "sim-ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write the simulator CA: %w", err)
	}
	s := &Sim{Simulator: vb365sim.New(opts), CAFile: caFile, tlsCfg: tlsCfg, addr: "127.0.0.1:0"}
	if err := s.listen(); err != nil {
		s.Simulator.Close()
		return nil, err
	}
	s.URL = "https://" + s.addr
	return s, nil
}

func (s *Sim) listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("simulator listen on %s: %w", s.addr, err)
	}
	s.addr = ln.Addr().String()
	// HTTP/1.1 only: the simulator's lost-response fault hijacks the connection.
	s.srv = &http.Server{Handler: s.Handler(), TLSConfig: s.tlsCfg.Clone(), ReadHeaderTimeout: 10 * time.Second,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() {
		defer close(done)
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "testenv: simulator stopped:", err)
		}
	}()
	return nil
}

// Pause stops accepting and drops open connections: VB365 is unreachable.
func (s *Sim) Pause() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

// Resume serves again on the same address.
func (s *Sim) Resume() error { return s.listen() }

// Close stops serving and releases the simulator.
func (s *Sim) Close() {
	s.Pause()
	s.Simulator.Close()
}
