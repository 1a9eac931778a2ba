// Command devstack runs the whole product on one machine in one command, with
// nothing but Go installed and no internet:
//
//	go run ./devstack
//
// It starts a real Temporal dev server with its Web UI (the pinned Temporal
// CLI, built once and cached), the VB365 simulator and the worker, starts a
// first restore of Veeam's v5 example (organization abc.onmicrosoft.com, Teams) and follows it, and prints where to
// look. Ctrl-C stops everything it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
)

// options are the command-line flags.
type options struct {
	temporalPort int
	uiPort       int
	simPort      int
	metricsPort  int
	codecPort    int
	noDemo       bool
	ensureCLI    bool // only build (or find) the Temporal CLI, then exit
	stateDir     string
	root         string // the repository (where go.mod is)
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(2)
	}

	if opts.ensureCLI {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		path, err := temporalcli.Ensure(ctx, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "devstack:", err)
			os.Exit(1)
		}
		fmt.Println(path)
		return
	}

	// First SIGINT/SIGTERM: stop everything gracefully. Second: kill now.
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stdout, "\nStopping the dev stack (Ctrl-C again to kill it at once)...")
		cancel()
		<-sigs
		close(force)
	}()

	if err := run(ctx, opts, os.Stdout, force); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	if errOut == nil {
		errOut = io.Discard
	}
	fs.SetOutput(errOut)
	fs.IntVar(&o.temporalPort, "temporal-port", 7233, "Temporal frontend (gRPC) port")
	fs.IntVar(&o.uiPort, "ui-port", 8233, "Temporal Web UI port")
	fs.IntVar(&o.simPort, "sim-port", 4443, "VB365 simulator (HTTPS) port")
	fs.IntVar(&o.metricsPort, "metrics-port", 9090, "worker metrics, /healthz and /readyz port")
	fs.IntVar(&o.codecPort, "codec-port", 8089, "codec server port (decodes the encrypted payloads for the Web UI and the CLI)")
	fs.BoolVar(&o.noDemo, "no-demo", false, "do not start the demo restore")
	fs.BoolVar(&o.ensureCLI, "ensure-cli-only", false, "only build the pinned Temporal CLI if it is not cached, print its path and exit (for CI)")
	fs.StringVar(&o.stateDir, "state-dir", "", "where the Temporal database, binaries, CA and logs go (default: .devstack in the repository)")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "Usage: go run ./devstack [flags]\n\nRuns Temporal (with its Web UI), the VB365 simulator, the worker and a demo restore. Ctrl-C stops it all.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	root, err := gomodule.Root()
	if err != nil {
		return o, err
	}
	o.root = root
	if o.stateDir == "" {
		o.stateDir = filepath.Join(root, ".devstack")
	}
	if o.stateDir, err = filepath.Abs(o.stateDir); err != nil {
		return o, err
	}
	return o, nil
}
