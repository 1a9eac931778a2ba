package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

const (
	listenIP  = "127.0.0.1"
	namespace = "default"
	simUser   = "admin"
	simPass   = "admin"
)

// stack is what run has started, stopped in reverse order on the way out.
type stack struct {
	opts     options
	out      io.Writer
	temporal *temporalcli.Server
	children []*child // simulator, worker
	// background is the demo's follower, which ends with run's context.
	background sync.WaitGroup
	cancel     context.CancelFunc // ends the background work
	closers    []io.Closer        // log files, closed last
	demoID     string             // the demo restore, stopped on the way out
	keys       *payloadcrypt.Keys // the dev payload keys (ensureKeys)
}

func (o options) path(parts ...string) string {
	return filepath.Join(append([]string{o.stateDir}, parts...)...)
}

func (o options) temporalAddr() string { return listenIP + ":" + strconv.Itoa(o.temporalPort) }
func (o options) uiURL() string        { return "http://localhost:" + strconv.Itoa(o.uiPort) }
func (o options) simURL() string       { return "https://" + listenIP + ":" + strconv.Itoa(o.simPort) }
func (o options) metricsAddr() string  { return listenIP + ":" + strconv.Itoa(o.metricsPort) }

// run starts the stack, follows the demo and waits for ctx (Ctrl-C) or a
// child's unexpected exit; it always stops what it started before returning.
func run(parent context.Context, opts options, out io.Writer, force <-chan struct{}) (err error) {
	began := time.Now()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	if err := checkPorts(listenIP, []port{
		{"Temporal frontend", "--temporal-port", opts.temporalPort},
		{"Temporal Web UI", "--ui-port", opts.uiPort},
		{"VB365 simulator", "--sim-port", opts.simPort},
		{"worker metrics", "--metrics-port", opts.metricsPort},
		{"codec server", "--codec-port", opts.codecPort},
	}); err != nil {
		return err
	}
	for _, d := range []string{opts.path("bin"), opts.path("logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	s := &stack{opts: opts, out: out, cancel: cancel}
	if s.keys, err = ensureKeys(opts); err != nil {
		return err
	}
	if err = writeRestoreCredentials(opts); err != nil {
		return err
	}
	defer func() {
		if err != nil && parent.Err() != nil {
			err = nil // interrupted while starting: not a failure
		}
		if stopErr := s.stop(force); stopErr != nil && err == nil {
			err = stopErr
		}
	}()

	step(out, "Temporal CLI %s", temporalcli.Version)
	if _, err := temporalcli.Ensure(ctx, indent(out)); err != nil {
		return err
	}
	if err := s.startTemporal(ctx); err != nil {
		return err
	}
	if err := s.build(ctx); err != nil {
		return err
	}
	if err := s.startCodecServer(ctx); err != nil {
		return err
	}
	if err := s.startSimulator(ctx); err != nil {
		return err
	}
	if err := s.startWorker(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "Stack ready in %s.\n", time.Since(began).Round(100*time.Millisecond))

	var demoID string
	if !opts.noDemo {
		demoID, err = s.demo(ctx)
		s.demoID = demoID
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "The demo restore did not go as planned: %v\n(the stack keeps running)\n", err)
		}
	}
	if ctx.Err() == nil {
		s.printWhereToLook(demoID)
	}
	return s.wait(ctx)
}

// wait returns nil on ctx's end (Ctrl-C) and an error when a part of the
// stack exits on its own.
func (s *stack) wait(ctx context.Context) error {
	exits := make(chan error, len(s.children)+1)
	for _, c := range s.children {
		go func() { <-c.done; exits <- c.failure() }()
	}
	go func() {
		<-s.temporal.Done()
		exits <- fmt.Errorf("the Temporal dev server exited unexpectedly (%v); see %s", s.temporal.ExitErr(), s.opts.path("logs", "temporal.log"))
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-exits:
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
}

// stop ends the children in reverse order (worker first, so it drains while
// the simulator and Temporal are still there), then Temporal.
func (s *stack) stop(force <-chan struct{}) error {
	s.cancel()
	s.background.Wait()
	s.stopDemo()
	var errs []error
	for i := len(s.children) - 1; i >= 0; i-- {
		c := s.children[i]
		if err := c.stop(15*time.Second, force); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
		fmt.Fprintf(s.out, "  stopped %s\n", c.name)
	}
	if s.temporal != nil {
		if err := s.temporal.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("temporal: %w", err))
		}
		fmt.Fprintln(s.out, "  stopped the Temporal dev server")
	}
	for _, c := range s.closers {
		_ = c.Close()
	}
	return errors.Join(errs...)
}

func (s *stack) startTemporal(ctx context.Context) error {
	o := s.opts
	logFile, err := os.OpenFile(o.path("logs", "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	// Closed once the server has stopped (it writes until then).
	s.closers = append(s.closers, logFile)
	fmt.Fprintf(logFile, "\n=== %s: temporal server start-dev\n", time.Now().Format(time.RFC3339))
	step(s.out, "Temporal dev server on %s, Web UI %s", o.temporalAddr(), o.uiURL())
	start := time.Now()
	srv, err := temporalcli.StartDevServer(ctx, temporalcli.Options{
		IP:                      listenIP,
		Port:                    o.temporalPort,
		UIPort:                  o.uiPort,
		UICodecEndpoint:         o.codecURL(),
		DBFile:                  o.path("temporal.db"),
		Namespace:               namespace,
		KeywordSearchAttributes: workflows.SearchAttributes(),
		LogTo:                   logFile,
	})
	if err != nil {
		return err
	}
	s.temporal = srv
	done(s.out, start)
	return nil
}

func (s *stack) startSimulator(ctx context.Context) error {
	o := s.opts
	ca := o.path("sim-ca.pem")
	_ = os.Remove(ca) // a fresh one comes with the fresh certificate
	step(s.out, "VB365 simulator on %s", o.simURL())
	start := time.Now()
	return s.startReady(ctx, start, "simulator", cleanEnv(), 30*time.Second, func(ctx context.Context) error {
		if err := dialTCP(ctx, listenIP, o.simPort); err != nil {
			return err
		}
		if _, err := os.Stat(ca); err != nil {
			return fmt.Errorf("CA file %s not written yet", ca)
		}
		return nil
	},
		"--addr", listenIP+":"+strconv.Itoa(o.simPort),
		"--ca-out", ca,
		"--username", simUser, "--password", simPass)
}

func (s *stack) startWorker(ctx context.Context) error {
	o := s.opts
	step(s.out, "worker on task queue %s (metrics http://%s/metrics)", workflows.DefaultTaskQueue, o.metricsAddr())
	start := time.Now()
	readyz := "http://" + o.metricsAddr() + "/readyz"
	return s.startReady(ctx, start, "worker", s.workerEnv(), 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, readyz)
	})
}

// workerEnv configures the worker for the local Temporal and simulator.
func (s *stack) workerEnv() []string {
	o := s.opts
	return cleanEnv(
		"TEMPORAL_ADDRESS="+o.temporalAddr(),
		"TEMPORAL_NAMESPACE="+namespace,
		"TEMPORAL_TASK_QUEUE="+workflows.DefaultTaskQueue,
		"TEMPORAL_UI_URL="+o.uiURL(),
		"VB365_URL="+o.simURL(),
		"VB365_USERNAME="+simUser,
		"VB365_PASSWORD="+simPass,
		"VB365_CA_FILE="+o.path("sim-ca.pem"),
		"LOG_FORMAT=console",
		"METRICS_ADDR="+o.metricsAddr(),
		"WORKER_STOP_TIMEOUT=5s",
		"PAYLOAD_KEYS_FILE="+o.keysFile(),
		"VB365_RESTORE_CREDENTIALS_FILE="+o.restoreCredentialsFile(),
	)
}

// devCredentialProfile is the credential profile the dev stack's worker
// has: the simulated organization's restore account, so that the example
// playbooks' restore actions run against the dev stack.
const devCredentialProfile = "m365-admin"

func (o options) restoreCredentialsFile() string { return o.path("restore-credentials.json") }

// writeRestoreCredentials writes the worker's credential profiles file,
// readable by its owner only, as a real one should be.
func writeRestoreCredentials(o options) error {
	body := fmt.Sprintf(`{"profiles": {%q: {"userName": %q, "password": %q}}}`+"\n",
		devCredentialProfile, vb365sim.RestoreUserName, vb365sim.RestorePassword)
	return os.WriteFile(o.restoreCredentialsFile(), []byte(body), 0o600)
}

// printWhereToLook tells the developer what runs where.
func (s *stack) printWhereToLook(demoID string) {
	o := s.opts
	rel := func(p string) string {
		if wd, err := os.Getwd(); err == nil {
			if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
				return r
			}
		}
		return p
	}
	// The starter reads the same TEMPORAL_* variables as the worker; only
	// non-default ports need them spelled out.
	env := "PAYLOAD_KEYS_FILE=" + rel(o.keysFile()) + " "
	if o.temporalPort != 7233 {
		env += "TEMPORAL_ADDRESS=" + o.temporalAddr() + " "
	}
	if o.uiPort != 8233 {
		env += "TEMPORAL_UI_URL=" + o.uiURL() + " "
	}
	w := s.out
	line := strings.Repeat("-", 78)
	fmt.Fprintln(w, line)
	fmt.Fprintln(w, "The vb365-restore dev stack is running. Where to look:")
	fmt.Fprintf(w, "  Temporal Web UI    %s\n", o.uiURL())
	if demoID != "" {
		fmt.Fprintf(w, "  Demo restore       %s\n", workflowURL(o.uiURL(), demoID))
	}
	fmt.Fprintf(w, "  Temporal frontend  %s  (namespace %s, task queue %s)\n", o.temporalAddr(), namespace, workflows.DefaultTaskQueue)
	fmt.Fprintf(w, "  VB365 simulator    %s  (%s/%s, CA %s, sessions %s/_sim/sessions)\n", o.simURL(), simUser, simPass, rel(o.path("sim-ca.pem")), o.simURL())
	fmt.Fprintf(w, "  Worker metrics     http://%s/metrics  (/healthz, /readyz)\n", o.metricsAddr())
	fmt.Fprintf(w, "  Codec server       %s  (payloads encrypted with %s; the Web UI decodes through it)\n", o.codecURL(), rel(o.keysFile()))
	fmt.Fprintf(w, "  Logs               %s/{temporal,codecserver,simulator,worker}.log\n", rel(o.path("logs")))
	fmt.Fprintf(w, "  Temporal database  %s  (history kept across runs)\n", rel(o.path("temporal.db")))
	if demoID != "" {
		fmt.Fprintf(w, "  Stop the demo      %sgo run ./starter stop %s\n", env, demoID)
	}
	fmt.Fprintf(w, "  Another restore    %sgo run ./starter restore --org %s --type vet --follow\n", env, demoOrg)
	if demoID != "" {
		fmt.Fprintf(w, "  History, decoded   temporal workflow show --address %s --namespace %s -w %s --codec-endpoint %s\n", o.temporalAddr(), namespace, demoID, o.codecURL())
	}
	fmt.Fprintln(w, "  Stop everything    Ctrl-C")
	fmt.Fprintln(w, line)
}

func workflowURL(ui, id string) string {
	return ui + "/namespaces/" + namespace + "/workflows/" + id
}

func step(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "- "+format+"\n", args...)
}

func done(w io.Writer, since time.Time) {
	fmt.Fprintf(w, "  ready (%s)\n", time.Since(since).Round(10*time.Millisecond))
}
