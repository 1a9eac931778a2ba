package workerapp

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/vb365"
)

const dashboardFile = "../../deploy/grafana/vb365-restore-worker.json"

// sdkMetrics are the SDK metrics the dashboard shows, by the SDK's own
// names and kinds; the test emits each through the worker's metrics handler
// to learn the name the worker exports.
var sdkMetrics = map[string]string{
	"temporal_activity_execution_latency":              "timer",
	"temporal_activity_schedule_to_start_latency":      "timer",
	"temporal_workflow_task_schedule_to_start_latency": "timer",
	"temporal_worker_task_slots_available":             "gauge",
	"temporal_activity_execution_failed":               "counter",
	"temporal_workflow_task_execution_failed":          "counter",
	"temporal_request":                                 "counter",
	"temporal_request_failure":                         "counter",
}

// metricName finds the metric names in a PromQL expression: the worker's
// prefixes, followed by a selector, a range or the end of a call.
var metricName = regexp.MustCompile(`\b((?:vb365|temporal|process|go)_[a-zA-Z0-9_]+)\b`)

// TestGrafanaDashboardQueriesExportedMetrics: the dashboard parses, and every
// metric its queries name is one the worker's /metrics serves.
func TestGrafanaDashboardQueriesExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(b, &d), "the dashboard is JSON")
	require.NotEmpty(t, d.Title)

	exported := workerMetricNames(t)
	var exprs []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if s, ok := v.Query.(string); ok && v.Type == "query" {
			exprs = append(exprs, s)
		}
	}
	seen := map[string]bool{}
	for _, e := range exprs {
		names := metricName.FindAllString(e, -1)
		require.NotEmpty(t, names, "query %q names no metric of the worker", e)
		for _, n := range names {
			seen[strings.SplitN(n, "_", 2)[0]] = true
			assert.True(t, exported[n], "query %q names %s, which the worker does not export", e, n)
		}
	}
	assert.True(t, seen["vb365"] && seen["temporal"], "VB365 and SDK metrics side by side")
}

// workerMetricNames gathers the worker's registry after touching every VB365
// metric and emitting the dashboard's SDK metrics through the SDK handler,
// so that the names are the exported ones (histograms with their _bucket,
// _sum and _count series).
func workerMetricNames(t *testing.T) map[string]bool {
	m := newMetrics(zap.NewNop())
	defer m.closer.Close()
	_, _, err := vb365Side(config.Worker{VB365Budget: config.VB365Budget{VB365MaxInFlight: 8, VB365MaxRate: 20}}, m)
	require.NoError(t, err)
	checkSDKNames(t)
	for name, kind := range sdkMetrics {
		switch kind {
		case "timer":
			m.handler.Timer(name).Record(time.Millisecond)
		case "gauge":
			m.handler.Gauge(name).Update(1)
		case "counter":
			m.handler.Counter(name).Inc(1)
		}
	}
	families, err := m.reg.Gather()
	require.NoError(t, err)
	out := map[string]bool{}
	for _, f := range families {
		n := f.GetName()
		out[n] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[n+s] = true
			}
		}
	}
	// Vectors without series yet are not gathered: vb365.MetricNames lists
	// what vb365.NewMetrics registers (its own test holds it to that).
	for _, n := range vb365.MetricNames {
		for _, s := range []string{"", "_bucket", "_sum", "_count"} {
			out[n+s] = true
		}
	}
	return out
}

// checkSDKNames holds sdkMetrics to the SDK's own list of metric names, when
// the module's source is at hand.
func checkSDKNames(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Logf("SDK source not found (%v); SDK metric names checked by export only", err)
		return
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go"))
	if err != nil {
		t.Logf("SDK metric constants not found (%v); SDK metric names checked by export only", err)
		return
	}
	// The constants read `Name = TemporalMetricsPrefix + "x"` or
	// `Name = OtherName + "_y"`.
	consts := map[string]string{"TemporalMetricsPrefix": "temporal_"}
	decl := regexp.MustCompile(`(\w+)\s*=\s*(\w+)\s*\+\s*"([^"]+)"`)
	names := map[string]bool{}
	for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
		if base, ok := consts[m[2]]; ok {
			consts[m[1]] = base + m[3]
			names[base+m[3]] = true
		}
	}
	require.NotEmpty(t, names, "no metric names found in the SDK's constants")
	for name := range sdkMetrics {
		assert.True(t, names[name], "the SDK has no metric %s", name)
	}
}
