package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the baseline worker: the bench
// starts it as os.Executable() --serve-baseline-worker.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "--serve-baseline-worker" {
		if err := serveBaselineWorker(os.Args[2:], os.Stderr); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cliPath is where internal/temporalcli keeps the pinned CLI.
func cliPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "vb365-restore", "temporal-cli-v1.5.1", "temporal")
}

// TestQuickReport runs the quick path of every scenario against a real dev
// server and checks the report's structure, never its timings.
func TestQuickReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the benchmark smoke test runs a dev server for about two minutes")
	}
	if _, err := os.Stat(cliPath()); err != nil {
		t.Skipf("the pinned Temporal CLI is not built (%s): skipping the benchmark smoke test", cliPath())
	}
	out := filepath.Join(t.TempDir(), "performance.md")
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"--quick", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("bench --quick: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"# Performance",
		"## Machine",
		"| Load average (1 / 5 / 15 min) |",
		"## Targets",
		"## 1. History events and billable actions per restore",
		"## 2. VB365 requests per idle session-minute",
		"## 3. Throughput and latency on one worker",
		"## 4. The VB365 budget: 20 open restores",
		"## 6. Restore actions",
		"| History events per restore action |",
		"**A playbook of 10 restores with 5 actions each**",
		"](" + rateChartFile + ")",
		"| 429 storm (Retry-After 5s for 15s) |",
		"| Busy sessions: first event (wakes an idle session) |",
		"| Idle sessions becoming busy in the window: first event → recorded |",
		"not measured in --quick",
		"## Tuning",
		"## How the figures scale",
		"| 1 min |", "| 5 min |", "| 24 h (extrapolated) |",
		"| 20 | product | 20/20 |", "| 20 | no-op | 20/20 |",
		"API requests per idle session-minute",
		"](" + chartFile + ")",
		"go run ./bench --quick",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A quick run's windows cannot measure the steady state or the sizes
	// the targets name: it must not call those missed.
	for _, line := range strings.Split(md, "\n") {
		for _, unmeasurable := range []string{"History events per restore, product", "steady state", "open restores", "no-op workflow at", "A playbook of 10 restores"} {
			if strings.Contains(line, unmeasurable) && strings.Contains(line, "missed") {
				t.Errorf("a quick run gives a verdict it cannot measure: %s", line)
			}
		}
	}
	for _, chart := range []string{chartFile, rateChartFile} {
		svg, err := os.ReadFile(filepath.Join(filepath.Dir(out), chart))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("</svg>")) || !bytes.Contains(svg, []byte("<polyline")) {
			t.Errorf("%s is not a complete SVG with a line:\n%.300s", chart, svg)
		}
	}
}

func TestParseConfigDefaults(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parseConfig([]string{"--quick", "--out", "x.md"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.idles) != 2 || len(c.sizes) != 1 || !c.scenarios["history"] || !c.scenarios["vb365"] || !c.scenarios["throughput"] ||
		!c.scenarios["budget"] || c.budget.open != 20 || c.budget.storm <= 0 {
		t.Errorf("quick config: %+v", c)
	}
	if _, err := parseConfig([]string{"--scenarios", "nope"}, &stderr); err == nil {
		t.Error("unknown scenario accepted")
	}
	if a, b := linearFit([]float64{1, 2, 3}, []float64{3, 5, 7}); a != 1 || b != 2 {
		t.Errorf("linearFit = %v, %v", a, b)
	}
	if got := renewPeriod(time.Hour); got != 54*time.Minute {
		t.Errorf("renewPeriod(1h) = %s", got)
	}
}
