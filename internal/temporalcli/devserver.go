package temporalcli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/logging"
)

// Options configure a dev server.
type Options struct {
	// IP the frontend and Web UI bind to; default 127.0.0.1.
	IP string
	// Port of the frontend (gRPC); 0 picks a free port.
	Port int
	// UIPort of the Web UI; 0 runs the server headless.
	UIPort int
	// UICodecEndpoint is the codec server the Web UI decodes payloads with
	// (--ui-codec-endpoint); empty: none.
	UICodecEndpoint string
	// DBFile keeps the server's state (SQLite) across runs; empty keeps it
	// in memory only.
	DBFile string
	// Namespace to create besides "default" (which always exists); empty
	// means "default".
	Namespace string
	// KeywordSearchAttributes are registered as search attributes of type
	// Keyword in the namespace; none when empty.
	KeywordSearchAttributes []string
	// LogTo receives the server's output (nil: discarded; it is still
	// quoted in start errors).
	LogTo io.Writer
	// LogLevel of the server: debug, info, warn (default), error.
	LogLevel string
	// Progress receives messages of Ensure while the CLI is being built.
	Progress io.Writer
	// StartTimeout bounds the wait for the frontend; default 60 s.
	StartTimeout time.Duration
}

// Server is a running dev server.
type Server struct {
	// HostPort of the frontend, for client.Options.HostPort.
	HostPort string
	// Namespace that was requested (or "default").
	Namespace string
	// UIURL of the Web UI, empty when headless.
	UIURL string

	proc     *process
	stopOnce sync.Once
	stopErr  error
}

// PortInUseError says that a port the server needs is taken.
type PortInUseError struct {
	What string // "frontend" or "Web UI"
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("the Temporal %s port %s is already in use (%v)", e.What, e.Addr, e.Err)
}

// StartDevServer ensures the CLI (building it if needed), starts
// `temporal server start-dev` in its own process group and returns once the
// frontend answers health checks and the namespace exists. Stop ends it.
func StartDevServer(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Ensure(ctx, opts.Progress)
	if err != nil {
		return nil, err
	}
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = time.Minute
	}
	if opts.Port == 0 {
		if opts.Port, err = FreePort(opts.IP); err != nil {
			return nil, err
		}
	} else if err := CheckPortFree(opts.IP, opts.Port); err != nil {
		return nil, &PortInUseError{What: "frontend", Addr: net.JoinHostPort(opts.IP, strconv.Itoa(opts.Port)), Err: err}
	}
	if opts.UIPort != 0 {
		if err := CheckPortFree(opts.IP, opts.UIPort); err != nil {
			return nil, &PortInUseError{What: "Web UI", Addr: net.JoinHostPort(opts.IP, strconv.Itoa(opts.UIPort)), Err: err}
		}
	}

	s := &Server{
		HostPort:  net.JoinHostPort(opts.IP, strconv.Itoa(opts.Port)),
		Namespace: opts.Namespace,
	}
	if opts.UIPort != 0 {
		s.UIURL = "http://" + uiHost(opts.IP) + ":" + strconv.Itoa(opts.UIPort)
	}

	tail := &lastLines{}
	out := io.Writer(&lineWriter{fn: tail.add})
	if opts.LogTo != nil {
		// A failing LogTo (closed too early, say) must not break the pipe:
		// the server would die of SIGPIPE at its next log line.
		out = io.MultiWriter(forgiving{opts.LogTo}, out)
	}
	cmd := exec.Command(bin, args(opts)...)
	// The CLI reads TEMPORAL_* client settings from the environment; a
	// developer's own settings must not reconfigure the dev server.
	cmd.Env = withoutPrefix(os.Environ(), "TEMPORAL_")
	cmd.Stdout, cmd.Stderr = out, out
	s.proc, err = startProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting the Temporal dev server: %w", err)
	}

	if err := s.waitReady(ctx, opts); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("the Temporal dev server on %s did not come up: %w\n%s", s.HostPort, err, tail.String())
	}
	return s, nil
}

func args(o Options) []string {
	a := []string{"server", "start-dev",
		"--ip", o.IP,
		"--port", strconv.Itoa(o.Port),
		"--log-level", o.LogLevel,
		"--namespace", o.Namespace,
	}
	if o.UIPort == 0 {
		a = append(a, "--headless")
	} else {
		a = append(a, "--ui-port", strconv.Itoa(o.UIPort))
		if o.UICodecEndpoint != "" {
			a = append(a, "--ui-codec-endpoint", o.UICodecEndpoint)
		}
	}
	if o.DBFile != "" {
		a = append(a, "--db-filename", o.DBFile)
	}
	for _, n := range o.KeywordSearchAttributes {
		a = append(a, "--search-attribute", n+"=Keyword")
	}
	return a
}

// waitReady polls until the frontend is healthy, the namespace exists and
// the Web UI (if any) accepts connections.
func (s *Server) waitReady(ctx context.Context, opts Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	var last error
	for {
		if last = s.ready(ctx, opts); last == nil {
			// Whoever answered must be our process, not another server that
			// took the port first (ours then fails to bind and exits).
			if last = s.ownsPort(opts.Port); last == nil {
				return nil
			}
		}
		select {
		case <-s.proc.done:
			return fmt.Errorf("the server exited: %v", s.proc.err)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Server) ready(ctx context.Context, opts Options) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: s.HostPort, Namespace: s.Namespace, Logger: logging.Discard()})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.Namespace}); err != nil {
		return err
	}
	if opts.UIPort != 0 {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(opts.IP, strconv.Itoa(opts.UIPort)))
		if err != nil {
			return fmt.Errorf("web UI: %w", err)
		}
		_ = conn.Close()
	}
	return nil
}

// Stop ends the server and everything it started (its process group),
// gracefully first, and waits for it. Safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.proc.stop(15 * time.Second) })
	return s.stopErr
}

// Done is closed when the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.proc.done }

// ExitErr is how the server process ended (nil for status 0); valid once
// Done is closed.
func (s *Server) ExitErr() error {
	<-s.proc.done
	return s.proc.err
}

// ownsPort fails when the frontend port is served by another process.
func (s *Server) ownsPort(port int) error {
	select {
	case <-s.proc.done:
		return fmt.Errorf("the server exited: %v", s.proc.err)
	default:
	}
	if owns, known := listensOn(s.proc.cmd.Process.Pid, port); known && !owns {
		return fmt.Errorf("port %d answers, but not from the server started here (pid %d)", port, s.proc.cmd.Process.Pid)
	}
	return nil
}

// FreePort returns a TCP port that is free on ip right now. It picks one
// below the kernel's ephemeral range when it can: dev servers take their
// internal ports (history, matching, metrics, ...) from that range, so a
// port from outside it cannot be taken by another dev server starting at the
// same time (as happens with parallel test packages).
func FreePort(ip string) (int, error) {
	lo := ephemeralLow()
	const floor = 10000
	if lo-floor >= 1000 {
		for range 100 {
			p := floor + rand.IntN(lo-floor)
			if CheckPortFree(ip, p) == nil {
				return p, nil
			}
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when unknown).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// CheckPortFree fails when nothing can listen on ip:port.
func CheckPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

func uiHost(ip string) string {
	switch ip {
	case "127.0.0.1", "::1", "0.0.0.0", "::", "localhost":
		return "localhost"
	}
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

func withoutPrefix(env []string, prefix string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// forgiving is a writer that never reports an error.
type forgiving struct{ w io.Writer }

func (f forgiving) Write(p []byte) (int, error) {
	_, _ = f.w.Write(p)
	return len(p), nil
}

// RegisterCommand is the temporal CLI command that registers names as
// Keyword search attributes of namespace.
func RegisterCommand(namespace string, names []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "temporal operator search-attribute create --namespace %s", namespace)
	for _, name := range names {
		fmt.Fprintf(&b, " --name %s --type Keyword", name)
	}
	return b.String()
}
