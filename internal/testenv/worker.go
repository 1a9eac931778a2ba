package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/workerapp"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// WorkerEnv is the environment of a worker pointed at a dev server and a
// simulator, as a deployment would set it.
func WorkerEnv(t *Temporal, sim *Sim, extra ...string) []string {
	env := []string{
		"TEMPORAL_ADDRESS=" + t.Server.HostPort,
		"TEMPORAL_NAMESPACE=" + t.Server.Namespace,
		"VB365_URL=" + sim.URL,
		"VB365_USERNAME=admin",
		"VB365_PASSWORD=admin",
		"VB365_CA_FILE=" + sim.CAFile,
		"METRICS_ADDR=",
		"LOG_LEVEL=info",
		"WORKER_STOP_TIMEOUT=5s",
		// Tests poll every second and leave sessions quiet for seconds at a
		// time: at the production idle ceiling (1 request per idle
		// session-minute, a 2-minute pause) each quiet spell would cost a
		// test minutes. 60 keeps the ceiling at 4 poll intervals.
		"VB365_IDLE_REQUESTS_PER_MINUTE=60",
	}
	return append(env, extra...)
}

// Worker is the production worker running in this process.
type Worker struct {
	cancel context.CancelFunc
	done   chan error
	logs   *SyncBuffer
}

// StartWorker runs workerapp.Run with the configuration env describes (as
// config.Load reads it) and logs in JSON to a buffer.
func StartWorker(env []string) (*Worker, error) { return StartWorkerWith(env, workflows.Options{}) }

// StartWorkerWith is StartWorker with the restore workflow's bounds.
func StartWorkerWith(env []string, wfOpts workflows.Options) (*Worker, error) {
	cfg, err := config.Load(env)
	if err != nil {
		return nil, err
	}
	w := &Worker{done: make(chan error, 1), logs: &SyncBuffer{}}
	level := zap.NewAtomicLevel()
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, err
	}
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(w.logs), level))
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { w.done <- workerapp.RunWithOptions(ctx, cfg, logger, wfOpts) }()
	return w, nil
}

// Stop cancels the worker as SIGTERM would and waits for it.
func (w *Worker) Stop() error {
	w.cancel()
	select {
	case err := <-w.done:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("worker did not stop within 30s")
	}
}

// Logs returns everything the worker logged so far.
func (w *Worker) Logs() string { return w.logs.String() }

// WorkerProcess is the worker binary running as its own process.
type WorkerProcess struct {
	Cmd  *exec.Cmd
	logs *SyncBuffer
	done chan struct{}
}

// builds remembers the binaries built by this process, by package.
var builds = struct {
	sync.Mutex
	paths map[string]string
}{paths: map[string]string{}}

// Build builds a main package of this module (for example "./worker") once
// per test process and returns the path of the binary in dir. A later call
// links the binary built first into its own dir: the first caller's dir is
// often a test's temporary folder, removed when that test ends while
// another test still runs the binary.
func Build(moduleRoot, dir, pkg string) (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.paths[pkg]; ok {
		dst := filepath.Join(dir, filepath.Base(p))
		if dst == p {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		} else if err := os.Link(p, dst); err == nil {
			return dst, nil
		}
		// The first binary is gone (or dir is on another file system):
		// build again.
	}
	bins, err := gomodule.Build(context.Background(), moduleRoot, dir, pkg)
	if err != nil {
		return "", err
	}
	builds.paths[pkg] = bins[0]
	return bins[0], nil
}

// BuildWorker builds ./worker once per test process into dir.
func BuildWorker(moduleRoot, dir string) (string, error) { return Build(moduleRoot, dir, "./worker") }

// StartWorkerProcess starts the built worker with env (and nothing else of
// this process's environment but PATH and HOME).
func StartWorkerProcess(bin string, env []string) (*WorkerProcess, error) {
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p := &WorkerProcess{Cmd: cmd, logs: &SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Kill sends SIGKILL: no drain, no cleanup, as a crash or an OOM kill.
func (p *WorkerProcess) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM and waits for the worker to drain and exit.
func (p *WorkerProcess) Terminate(timeout time.Duration) error {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("worker did not exit within %s of SIGTERM", timeout)
	}
}

// Logs returns everything the process wrote so far.
func (p *WorkerProcess) Logs() string { return p.logs.String() }

// SyncBuffer is a bytes.Buffer safe for a process's output goroutines and
// the test reading it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
