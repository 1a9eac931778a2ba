package testenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Temporal is a running dev server with a client of its default namespace.
type Temporal struct {
	Server *temporalcli.Server
	Client client.Client
	opts   temporalcli.Options
}

// StartTemporal starts a headless dev server with the restore workflow's
// search attributes registered. dbFile keeps its state on disk (so it can be
// restarted with Restart); empty keeps it in memory.
func StartTemporal(ctx context.Context, dbFile string) (*Temporal, error) {
	opts := temporalcli.Options{DBFile: dbFile, KeywordSearchAttributes: workflows.SearchAttributes(), Progress: os.Stderr, LogTo: io.Discard}
	srv, err := temporalcli.StartDevServer(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Port = portOf(srv.HostPort)
	t := &Temporal{Server: srv, opts: opts}
	if err := t.dial(); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return t, nil
}

func (t *Temporal) dial() error {
	c, err := client.Dial(client.Options{HostPort: t.Server.HostPort, Namespace: t.Server.Namespace, Logger: logging.Discard()})
	if err != nil {
		return fmt.Errorf("dial the dev server at %s: %w", t.Server.HostPort, err)
	}
	t.Client = c
	return nil
}

// Restart stops the server and starts it again on the same port and database
// file: what a crash and restart of the Temporal service looks like to the
// worker. The client keeps working (gRPC reconnects).
func (t *Temporal) Restart(ctx context.Context, down time.Duration) error {
	if t.opts.DBFile == "" {
		return fmt.Errorf("restart needs a dev server with a database file")
	}
	if err := t.Server.Stop(); err != nil {
		return fmt.Errorf("stop the dev server: %w", err)
	}
	time.Sleep(down)
	srv, err := temporalcli.StartDevServer(ctx, t.opts)
	if err != nil {
		return fmt.Errorf("restart the dev server: %w", err)
	}
	t.Server = srv
	return nil
}

// Stop closes the client and stops the server.
func (t *Temporal) Stop() {
	if t.Client != nil {
		t.Client.Close()
	}
	_ = t.Server.Stop()
}

func portOf(hostPort string) int {
	_, p, _ := net.SplitHostPort(hostPort)
	port, _ := strconv.Atoi(p)
	return port
}
