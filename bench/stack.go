package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// stack is what every scenario runs on: one Temporal dev server, the worker
// binary built from this tree, and this binary for the baseline worker.
type stack struct {
	dir       string // temp dir: binaries and logs
	srv       *temporalcli.Server
	c         client.Client
	workerBin string
	selfBin   string
	logs      io.Writer
	seq       int
}

// startStack builds ./worker and starts the dev server.
func startStack(ctx context.Context, logw io.Writer) (*stack, error) {
	dir, err := os.MkdirTemp("", "vb365-bench-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, logs: logw}
	root, err := gomodule.Root()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "building ./worker into %s\n", dir)
	bins, err := gomodule.Build(ctx, root, dir, "./worker")
	if err != nil {
		return nil, err
	}
	s.workerBin = bins[0]
	if s.selfBin, err = os.Executable(); err != nil {
		return nil, err
	}
	serverLog, err := os.Create(filepath.Join(dir, "temporal-server.log"))
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(logw, "starting the Temporal dev server")
	s.srv, err = temporalcli.StartDevServer(ctx, temporalcli.Options{KeywordSearchAttributes: workflows.SearchAttributes(), LogTo: serverLog, Progress: logw})
	if err != nil {
		return nil, err
	}
	s.c, err = client.DialContext(ctx, client.Options{HostPort: s.srv.HostPort, Namespace: s.srv.Namespace, Logger: logging.Discard()})
	if err != nil {
		_ = s.srv.Stop()
		return nil, err
	}
	return s, nil
}

func (s *stack) close() {
	if s.c != nil {
		s.c.Close()
	}
	if s.srv != nil {
		_ = s.srv.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

// taskQueue returns a fresh task queue name, so scenarios never share one.
func (s *stack) taskQueue(what string) string {
	s.seq++
	return fmt.Sprintf("bench-%s-%d-%d", what, os.Getpid(), s.seq)
}

// serverPID finds the dev server: our child process named temporal.
func serverPID() int {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, ppid, ok := statCommPPID(pid)
		if ok && ppid == me && comm == "temporal" {
			return pid
		}
	}
	return 0
}

func statCommPPID(pid int) (string, int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, false
	}
	s := string(b)
	open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closeIdx < open {
		return "", 0, false
	}
	f := strings.Fields(s[closeIdx+1:])
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return s[open+1 : closeIdx], ppid, true
}

// simServer is a simulator served over plain HTTP on loopback.
type simServer struct {
	sim *vb365sim.Simulator
	srv *http.Server
	URL string
}

func startSim(opts vb365sim.Options) (*simServer, error) {
	opts.LinkScheme = "http"
	sim := vb365sim.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &simServer{sim: sim, srv: srv, URL: "http://" + ln.Addr().String()}, nil
}

func (s *simServer) close() {
	s.sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// proc is a worker process measured on its own.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startProductWorker runs the production worker binary against simURL;
// extra are more NAME=value settings, overriding the ones here.
func (s *stack) startProductWorker(ctx context.Context, taskQueue, simURL string, extra ...string) (*proc, error) {
	env := append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.srv.HostPort,
		"TEMPORAL_NAMESPACE="+s.srv.Namespace,
		"TEMPORAL_TASK_QUEUE="+taskQueue,
		"VB365_URL="+simURL,
		"VB365_USERNAME=admin",
		"VB365_PASSWORD=admin",
		"METRICS_ADDR=127.0.0.1:0",
		"LOG_LEVEL=warn",
		"WORKER_STOP_TIMEOUT=5s",
	)
	env = append(env, extra...)
	return s.startProc(ctx, "worker-"+taskQueue, s.workerBin, nil, env, taskQueue)
}

// startBaselineWorker runs this binary in --serve-baseline-worker mode: the
// naive anchor and the no-op workflow, measured like the product worker.
func (s *stack) startBaselineWorker(ctx context.Context, taskQueue, simURL string) (*proc, error) {
	args := []string{"--serve-baseline-worker", "--temporal", s.srv.HostPort, "--namespace", s.srv.Namespace,
		"--task-queue", taskQueue, "--vb365-url", simURL}
	return s.startProc(ctx, "baseline-"+taskQueue, s.selfBin, args, os.Environ(), taskQueue)
}

func (s *stack) startProc(ctx context.Context, name, bin string, args, env []string, taskQueue string) (*proc, error) {
	logf, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); _ = logf.Close(); close(p.done) }()
	if err := s.waitPoller(ctx, taskQueue, p); err != nil {
		p.stop()
		tail, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s did not start polling %s: %w\n%s", name, taskQueue, err, lastBytes(tail, 2000))
	}
	return p, nil
}

// waitPoller waits until a worker polls both the workflow and activity task
// queues (bounded: 60 s).
func (s *stack) waitPoller(ctx context.Context, taskQueue string, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		ok := true
		for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := s.c.DescribeTaskQueue(ctx, taskQueue, typ)
			if err != nil || len(resp.GetPollers()) == 0 {
				ok = false
			}
		}
		if ok {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// stop sends SIGTERM and waits (bounded), then kills.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// clkTck is USER_HZ, 100 on every Linux build we run on.
const clkTck = 100

// cpuTime is the process's user+system CPU time so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After the comm: state(0) ppid(1) ... utime(11) stime(12).
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clkTck
}

// statusKB reads a "Vm...:  N kB" line of /proc/PID/status.
func statusKB(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeak resets VmHWM (Linux clear_refs 5); false if not allowed.
func resetPeak(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// usage is CPU and peak memory of a process over a window.
type usage struct {
	CPU     time.Duration
	PeakMiB float64
}

type usageMeter struct {
	pid      int
	cpu0     time.Duration
	peakOnly bool
}

func startUsage(pid int) *usageMeter {
	m := &usageMeter{pid: pid, cpu0: cpuTime(pid)}
	m.peakOnly = resetPeak(pid)
	return m
}

func (m *usageMeter) stop() usage {
	return usage{CPU: cpuTime(m.pid) - m.cpu0, PeakMiB: float64(statusKB(m.pid, "VmHWM")) / 1024}
}
