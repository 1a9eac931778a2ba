// Command bench measures what a restore costs on Temporal and on the VB365
// server, against a naive poller and a no-op workflow of the same shape, on
// one machine: a real Temporal dev server (the pinned CLI), the VB365
// simulator and the production worker as a separate process. It writes a
// Markdown report with an SVG chart.
//
//	go run ./bench                 # full run, writes docs/performance.md
//	go run ./bench --quick         # small run of each scenario (smoke test)
//	go run ./bench --scenarios history --idle 1m,5m
//	go run ./bench --scenarios budget --open 2000
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--serve-baseline-worker" {
		if err := serveBaselineWorker(os.Args[2:], os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline worker:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	quick     bool
	scenarios map[string]bool
	out       string
	idles     []time.Duration
	sizes     []int
	sessions  int
	warmup    time.Duration
	window    time.Duration
	tokenTTL  time.Duration
	budget    budgetConfig
	actions   actionsConfig
	command   string
}

func parseConfig(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a small run of each scenario (< 3 min), for smoke tests; writes to a temp dir unless --out is set")
	scen := fs.String("scenarios", "history,vb365,throughput,budget,actions", "scenarios to run: history, vb365, throughput, budget, actions (comma-separated)")
	out := fs.String("out", "", "report file (default docs/performance.md; with --quick, a temp dir); the chart goes next to it")
	idles := fs.String("idle", "", "scenario 1: simulated idle times at the 15s poll interval (default 1m,5m,15m,60m; quick 1m,5m)")
	sizes := fs.String("concurrency", "", "scenario 3: concurrent restores (default 50,200,500; quick 20)")
	sessions := fs.Int("sessions", 0, "scenario 2: idle sessions per side (default 20; quick 5)")
	warmup := fs.Duration("warmup", 0, "scenario 2: wait after the sessions open before measuring (default 150s, past the idle ramp; quick 20s)")
	window := fs.Duration("window", 0, "scenario 2: measuring window, real time (default 4m; quick 40s)")
	open := fs.Int("open", 0, "scenario 4: restores open at once against the VB365 budget (default 500; quick 20)")
	ramp := fs.Duration("ramp", 0, "scenario 4: wait after all sessions are open before measuring (default 3m; quick 15s)")
	bwindow := fs.Duration("budget-window", 0, "scenario 4: measuring window with busy sessions (default 3m; quick 30s)")
	storm := fs.Duration("storm", 0, "scenario 4: length of the 429 storm (default 30s; quick 15s; negative: none)")
	actionRestores := fs.Int("action-restores", 0, "actions scenario: restores of the playbook, 5 restore actions each (default 200; quick 10)")
	tokenTTL := fs.Duration("token-ttl", 30*time.Second, "scenario 2: the simulator's token lifetime (scaled to 60m in the report)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c := &config{quick: *quick, scenarios: map[string]bool{}, out: *out, sessions: *sessions,
		warmup: *warmup, window: *window, tokenTTL: *tokenTTL}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "history", "vb365", "throughput", "budget", "actions":
			c.scenarios[s] = true
		case "":
		default:
			return nil, fmt.Errorf("--scenarios: unknown scenario %q (want history, vb365, throughput, budget, actions)", s)
		}
	}
	def := func(quickV, fullV string) string {
		if c.quick {
			return quickV
		}
		return fullV
	}
	if *idles == "" {
		*idles = def("1m,5m", "1m,5m,15m,60m")
	}
	for _, s := range strings.Split(*idles, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= 0 || d > 2*time.Hour {
			return nil, fmt.Errorf("--idle %q: want durations up to 2h such as 1m,5m", s)
		}
		c.idles = append(c.idles, d)
	}
	if *sizes == "" {
		*sizes = def("20", "50,200,500")
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 || n > 2000 {
			return nil, fmt.Errorf("--concurrency %q: want numbers from 1 to 2000", s)
		}
		c.sizes = append(c.sizes, n)
	}
	if c.sessions == 0 {
		c.sessions, _ = strconv.Atoi(def("5", "20"))
	}
	if c.warmup == 0 {
		c.warmup, _ = time.ParseDuration(def("20s", "150s"))
	}
	if c.window == 0 {
		c.window, _ = time.ParseDuration(def("40s", "4m"))
	}
	c.budget = budgetConfig{open: *open, ramp: *ramp, window: *bwindow, storm: *storm, quick: c.quick}
	if c.budget.open == 0 {
		c.budget.open, _ = strconv.Atoi(def("20", "500"))
	}
	if c.budget.open < 1 || c.budget.open > 5000 {
		return nil, fmt.Errorf("--open %d: want 1 to 5000", c.budget.open)
	}
	if c.budget.ramp == 0 {
		c.budget.ramp, _ = time.ParseDuration(def("15s", "3m"))
	}
	if c.budget.window == 0 {
		c.budget.window, _ = time.ParseDuration(def("30s", "3m"))
	}
	switch {
	case c.budget.storm == 0:
		c.budget.storm, _ = time.ParseDuration(def("15s", "30s"))
	case c.budget.storm < 0:
		c.budget.storm = 0
	}
	c.actions = actionsConfig{restores: *actionRestores, maxConcurrent: 20}
	if c.actions.restores == 0 {
		c.actions.restores, _ = strconv.Atoi(def("10", "200"))
	}
	if c.actions.restores < 1 || c.actions.restores > 2000 {
		return nil, fmt.Errorf("--action-restores %d: want 1 to 2000", c.actions.restores)
	}
	if c.tokenTTL < 10*time.Second {
		return nil, errors.New("--token-ttl: at least 10s")
	}
	if c.out == "" {
		if c.quick {
			c.out = filepath.Join(os.TempDir(), "vb365-bench-quick", "performance.md")
		} else {
			root, err := gomodule.Root()
			if err != nil {
				return nil, err
			}
			c.out = filepath.Join(root, "docs", "performance.md")
		}
	}
	c.command = strings.TrimSpace("go run ./bench " + strings.Join(args, " "))
	return c, nil
}

// run is main without the process: the smoke test calls it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	began := time.Now()
	st, err := startStack(ctx, stderr)
	if err != nil {
		return err
	}
	defer st.close()

	rep := &report{cfg: cfg, machine: describeMachine(), began: began}
	if cfg.scenarios["history"] {
		if rep.history, err = runHistory(ctx, st, cfg.idles, logf); err != nil {
			return fmt.Errorf("scenario 1 (history): %w", err)
		}
	}
	if cfg.scenarios["vb365"] {
		if rep.vb365, err = runVB365(ctx, st, cfg.sessions, cfg.warmup, cfg.window, cfg.tokenTTL, logf); err != nil {
			return fmt.Errorf("scenario 2 (vb365): %w", err)
		}
	}
	if cfg.scenarios["throughput"] {
		if rep.throughput, err = runThroughput(ctx, st, cfg.sizes, logf); err != nil {
			return fmt.Errorf("scenario 3 (throughput): %w", err)
		}
	}
	if cfg.scenarios["actions"] {
		if rep.actions, err = runActions(ctx, st, cfg.actions, logf); err != nil {
			return fmt.Errorf("scenario 6 (actions): %w", err)
		}
	}
	if cfg.scenarios["budget"] {
		if rep.budget, err = runBudget(ctx, st, cfg.budget, logf); err != nil {
			return fmt.Errorf("scenario 4 (budget): %w", err)
		}
	}
	rep.took = time.Since(began)
	rep.machine.LoadEnd = loadAverage()
	if err := rep.write(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, cfg.out)
	return nil
}
