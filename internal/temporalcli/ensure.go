// Package temporalcli provides a real Temporal server for tests and the dev
// stack: the pinned Temporal CLI (built once from source with the Go
// toolchain, then cached) and its `server start-dev` as a child process.
//
// Running the CLI as a separate process keeps the Temporal server out of this
// module's go.mod, so the module is free to use the newest SDK.
package temporalcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
)

// Version is the pinned Temporal CLI release. v1.5.1 is the newest one that
// `go install` accepts with this module's Go version; it ships Temporal
// Server 1.29.1 and Web UI 2.42.1.
const Version = "v1.5.1"

// modulePath is the package `go install` builds.
const modulePath = "github.com/temporalio/cli/cmd/temporal"

// EnvPath names the environment variable that overrides Path.
const EnvPath = "TEMPORAL_CLI"

// progressEvery is how often a running build reports the elapsed time.
const progressEvery = 15 * time.Second

// progress is where Ensure tells what is going on while it builds or waits,
// every so often.
type progress struct {
	w     io.Writer
	every time.Duration
}

// Path returns where the Temporal CLI binary is (or will be once Ensure has
// built it): $TEMPORAL_CLI if set, else
// <user cache dir>/vb365-restore/temporal-cli-v1.5.1/temporal.
func Path() string {
	if p := os.Getenv(EnvPath); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	name := "temporal"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(dir, "vb365-restore", "temporal-cli-"+Version, name)
}

// inProcess serializes Ensure calls of one process; the file lock serializes
// processes (parallel test binaries, the dev stack).
var inProcess sync.Mutex

// Ensure returns the path of the Temporal CLI, building it first when it is
// missing. The build runs once per machine: `go install` of the pinned
// version, about five minutes on two cores, under a file lock so that
// concurrent callers wait for one build instead of starting their own.
// Progress (nil: none) receives what is going on while it builds or waits.
func Ensure(ctx context.Context, w io.Writer) (string, error) {
	if w == nil {
		w = io.Discard
	}
	return ensure(ctx, progress{w: w, every: progressEvery})
}

func ensure(ctx context.Context, p progress) (string, error) {
	path := Path()
	if isExecutable(path) {
		return path, nil
	}
	if os.Getenv(EnvPath) != "" {
		return "", fmt.Errorf("%s=%s: no executable there (unset it to build the pinned Temporal CLI %s automatically)", EnvPath, path, Version)
	}

	inProcess.Lock()
	defer inProcess.Unlock()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("temporal CLI cache: %w", err)
	}
	lock := flock.New(filepath.Join(dir, ".build.lock"))
	ok, err := lock.TryLock()
	if err != nil {
		return "", fmt.Errorf("temporal CLI build lock: %w", err)
	}
	if !ok {
		fmt.Fprintf(p.w, "Another process is building the Temporal CLI %s; waiting for it (lock %s)\n", Version, lock.Path())
		stop := p.ticker("  still waiting for the other build", nil)
		ok, err = lock.TryLockContext(ctx, 500*time.Millisecond)
		stop()
		if err != nil || !ok {
			return "", fmt.Errorf("waiting for the Temporal CLI build lock: %w", errors.Join(err, ctx.Err()))
		}
	}
	defer func() { _ = lock.Unlock() }()

	if isExecutable(path) { // built by the process we waited for
		return path, nil
	}
	if err := build(ctx, path, p); err != nil {
		return "", err
	}
	return path, nil
}

// build runs `go install` into a staging folder next to path, checks the
// binary and moves it into place, so an interrupted build never leaves a
// half-written binary behind.
func build(ctx context.Context, path string, p progress) error {
	goBin, err := goTool()
	if err != nil {
		return err
	}
	staging, err := os.MkdirTemp(filepath.Dir(path), ".staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	workDir, err := os.MkdirTemp("", "temporal-cli-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(workDir)

	fmt.Fprintf(p.w, "Building the Temporal CLI %s from source (once per machine; about five minutes on two cores).\n", Version)
	fmt.Fprintf(p.w, "  go install %s@%s -> %s\n", modulePath, Version, path)
	start := time.Now()

	var built atomic.Int64
	var tail lastLines
	out := &lineWriter{fn: func(line string) {
		tail.add(line)
		if isPackageLine(line) {
			built.Add(1)
			return
		}
		fmt.Fprintf(p.w, "  %s\n", line)
	}}
	cmd := exec.CommandContext(ctx, goBin, "install", "-v", modulePath+"@"+Version)
	cmd.Dir = workDir // outside any module: the project's go.mod plays no part
	cmd.Env = append(withoutEnv(os.Environ(), "GOBIN", "GOFLAGS", "GOWORK"),
		"GOBIN="+staging, "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second

	stop := p.ticker("  still building", func() string {
		return fmt.Sprintf("%d packages compiled", built.Load())
	})
	err = cmd.Run()
	stop()
	out.flush()
	if err != nil {
		return fmt.Errorf("building the Temporal CLI (go install %s@%s) failed after %s: %w\n%s",
			modulePath, Version, time.Since(start).Round(time.Second), err, tail.String())
	}
	stagedBin := filepath.Join(staging, filepath.Base(path))
	version, err := checkVersion(ctx, stagedBin)
	if err != nil {
		return err
	}
	if err := os.Rename(stagedBin, path); err != nil {
		return fmt.Errorf("installing the Temporal CLI: %w", err)
	}
	fmt.Fprintf(p.w, "Built the Temporal CLI in %s: %s\n", time.Since(start).Round(time.Second), version)
	return nil
}

// checkVersion runs `temporal --version` and returns its answer.
func checkVersion(ctx context.Context, bin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	v := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(v, "temporal version") {
		return "", fmt.Errorf("the built Temporal CLI %s does not run (%q): %v", bin, v, err)
	}
	return v, nil
}

// goTool finds the go command: on PATH, else in $GOROOT/bin. The root a
// binary was built with means nothing once it is copied elsewhere, so only
// the environment is asked.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New("the go command is needed to build the Temporal CLI and is not on PATH")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0)
}

func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// ticker prints prefix with the elapsed time (and extra(), if given) every
// p.every until the returned stop is called.
func (p progress) ticker(prefix string, extra func() string) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				msg := fmt.Sprintf("%s (%s elapsed", prefix, time.Since(start).Round(time.Second))
				if extra != nil {
					msg += ", " + extra()
				}
				fmt.Fprintln(p.w, msg+")")
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// isPackageLine tells the import paths `go install -v` prints (one per
// compiled package) from everything else (downloads, errors).
func isPackageLine(line string) bool {
	return line != "" && !strings.ContainsAny(line, " \t:#")
}

// lineWriter calls fn for every complete line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimRight(string(w.buf.Next(i+1)), "\r\n")
		w.fn(line)
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.fn(w.buf.String())
		w.buf.Reset()
	}
}

// lastLines keeps the last lines of a command's output for error messages.
type lastLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lastLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
	if len(l.lines) > 30 {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return ""
	}
	return "  " + strings.Join(l.lines, "\n  ")
}
