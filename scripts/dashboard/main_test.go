package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubstituteReplacesEveryFormOfAVariable(t *testing.T) {
	vals := map[string]string{"job": "(vb365\\\\-a|worker)", "instance": "127\\\\.0\\\\.0\\\\.1:9090"}
	got, err := substitute(`sum(rate(x{job=~"$job", instance=~"${instance}", a="[[job]]"}[5m]))`, vals)
	require.NoError(t, err)
	assert.Equal(t, `sum(rate(x{job=~"(vb365\\-a|worker)", instance=~"127\\.0\\.0\\.1:9090", a="(vb365\\-a|worker)"}[5m]))`, got)

	_, err = substitute(`x{job=~"$job", pod=~"$pod"}`, vals)
	require.Error(t, err, "an undefined variable would reach Prometheus literally")
	assert.Contains(t, err.Error(), "pod")
}

func TestVariableValueIsGrafanasRegexOfTheValues(t *testing.T) {
	assert.Equal(t, `(a|b\\.c)`, variableValue([]string{"a", "b.c"}, true), "multi: an alternative, each value escaped")
	assert.Equal(t, `127\\.0\\.0\\.1:9090`, variableValue([]string{"127.0.0.1:9090"}, true), "one value needs no group")
	assert.Equal(t, `b\\.c`, variableValue([]string{"b.c"}, false))
}

func TestLayoutPlacesGridPositionsOnThePage(t *testing.T) {
	col := float64(imageWidth-2*pagePadding) / gridColumns
	left := layout(gridPos{X: 0, Y: 1, W: 12, H: 8}, 100)
	right := layout(gridPos{X: 12, Y: 1, W: 12, H: 8}, 100)
	below := layout(gridPos{X: 0, Y: 9, W: 8, H: 8}, 100)
	assert.Equal(t, rect{X: pagePadding + 4, Y: 100 + 38 + 4, W: 12*col - 8, H: 8*38 - 8}, left)
	assert.InDelta(t, cellMargin, right.X-(left.X+left.W), 1e-9, "neighbours are a margin apart")
	assert.InDelta(t, cellMargin, below.Y-(left.Y+left.H), 1e-9, "the panel below starts a margin under")
	assert.InDelta(t, float64(imageWidth-pagePadding-cellMargin/2), right.X+right.W, 1e-9, "24 columns fill the page")
}

func TestLegendFollowsLegendFormat(t *testing.T) {
	m := model.Metric{"__name__": "vb365_requests_total", "route": "GET /v8/RestoreSessions/{id}/Events", "kind": "idle"}
	assert.Equal(t, "GET /v8/RestoreSessions/{id}/Events", legend("{{route}}", m))
	assert.Equal(t, "queued idle", legend("queued {{ kind }}", m))
	assert.Equal(t, "pauses () per 5m", legend("pauses ({{status}}) per 5m", m), "a label the series lacks is empty")
	assert.Equal(t, "all", legend("all", m))
	assert.Equal(t, `vb365_requests_total{kind="idle", route="GET /v8/RestoreSessions/{id}/Events"}`, legend("", m), "no format: the series itself")
}

func TestLegendLinesWrapAtThePanelsWidth(t *testing.T) {
	items := []legendItem{{name: "aaaaaaaaaa"}, {name: "bbbbbbbbbb"}, {name: "cccccccccc"}}
	one := 22 + charWidth*10 + 14
	lines := legendLines(items, 2*one)
	require.Len(t, lines, 2)
	assert.Len(t, lines[0], 2)
	assert.Equal(t, "cccccccccc", lines[1][0].name)
}

func TestWrapBreaksAtSpaces(t *testing.T) {
	assert.Equal(t, []string{"aaa bb", "cccc", "dd"}, wrap("aaa bb cccc  dd", 6))
	assert.Equal(t, []string{"aaaaaaaa", "b"}, wrap("aaaaaaaa b", 6), "a long word stands alone")
}

func TestSegmentsBreakAtGapsAndNaN(t *testing.T) {
	p := func(s int64, v float64) model.SamplePair {
		return model.SamplePair{Timestamp: model.Time(s * 1000), Value: model.SampleValue(v)}
	}
	got := segments([]model.SamplePair{p(0, 1), p(5, 2), p(10, math.NaN()), p(15, 3), p(20, 4), p(40, 5)})
	require.Len(t, got, 3)
	assert.Len(t, got[0], 2)
	assert.Len(t, got[1], 2)
	assert.Len(t, got[2], 1)
}

func TestFormatValueInThePanelsUnit(t *testing.T) {
	assert.Equal(t, "250 ms", formatValue(0.25, "s", 0.05))
	assert.Equal(t, "2 s", formatValue(2, "s", 1))
	assert.Equal(t, "48 MiB", formatValue(48*1024*1024, "bytes", 8*1024*1024))
	assert.Equal(t, "0.5 req/s", formatValue(0.5, "reqps", 0.1))
	assert.Equal(t, "1.5K", formatValue(1500, "short", 500))
}

// fakePrometheus answers the Prometheus HTTP API as a server that scraped one worker (job
// vb365-worker, instance 127.0.0.1:9090) with requests on two routes and nothing else.
type fakePrometheus struct {
	mu      sync.Mutex
	queries []string
	matches []string
}

func (fp *fakePrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ok := func(data any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
	}
	switch {
	case r.URL.Path == "/api/v1/status/buildinfo":
		ok(map[string]string{"version": "3.9.9-fake"})
	case r.URL.Path == "/api/v1/label/job/values":
		fp.mu.Lock()
		fp.matches = append(fp.matches, r.Form["match[]"]...)
		fp.mu.Unlock()
		ok([]string{"vb365-worker"})
	case r.URL.Path == "/api/v1/label/instance/values":
		fp.mu.Lock()
		fp.matches = append(fp.matches, r.Form["match[]"]...)
		fp.mu.Unlock()
		ok([]string{"127.0.0.1:9090"})
	case r.URL.Path == "/api/v1/query_range":
		q := r.Form.Get("query")
		fp.mu.Lock()
		fp.queries = append(fp.queries, q)
		fp.mu.Unlock()
		var result []any
		if strings.HasPrefix(q, "sum by (route) (rate(vb365_requests_total") {
			for i, route := range []string{"GET /v8/RestoreSessions/{id}/Events", "POST /v8/Organizations/{id}/explore"} {
				var values [][]any
				for s := int64(0); s <= 300; s += 5 {
					values = append(values, []any{float64(1_800_000_000 + s), fmt.Sprint(float64(i+1) * 0.5)})
				}
				result = append(result, map[string]any{"metric": map[string]string{"route": route}, "values": values})
			}
		}
		ok(map[string]any{"resultType": "matrix", "result": append([]any{}, result...)})
	default:
		http.NotFound(w, r)
	}
}

func TestRenderDrawsTheDashboardsQueriesFromPrometheus(t *testing.T) {
	fp := &fakePrometheus{}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "dashboard.svg")
	from := time.Unix(1_800_000_000, 0).UTC()
	var log bytes.Buffer
	err := run([]string{"-prometheus", srv.URL, "-dashboard", "../../deploy/grafana/vb365-restore-worker.json",
		"-from", from.Format(time.RFC3339), "-to", from.Add(5 * time.Minute).Format(time.RFC3339), "-out", out}, &log)
	require.NoError(t, err, log.String())

	// The variables were resolved in order, and every query went out with their values.
	assert.Equal(t, []string{"vb365_budget_limit", `vb365_budget_limit{job=~"vb365-worker"}`}, fp.matches)
	require.NotEmpty(t, fp.queries)
	for _, q := range fp.queries {
		assert.NotContains(t, q, "$", "a variable left in %s", q)
		assert.Contains(t, q, `job=~"vb365-worker", instance=~"127\\.0\\.0\\.1:9090"`)
	}

	svg, err := os.ReadFile(out)
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is well-formed XML")
	}
	s := string(svg)
	assert.Contains(t, s, "Not a Grafana screenshot")
	assert.Contains(t, s, "3.9.9-fake")
	assert.Contains(t, s, "VB365: what the worker costs the server", "a row is a heading")
	assert.Contains(t, s, "VB365 requests/s against the budget")
	// Every panel of the dashboard is drawn, titled; all but the one the
	// fake answers say they have no data.
	raw, err := os.ReadFile("../../deploy/grafana/vb365-restore-worker.json")
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(raw, &d))
	graphs := 0
	for _, p := range d.Panels {
		assert.Contains(t, s, ">"+esc(p.Title)+"<")
		if p.Type != "row" {
			graphs++
		}
	}
	assert.Contains(t, s, ">GET /v8/RestoreSessions/{id}/Events<", "the legend names the series by legendFormat")
	assert.Contains(t, s, ">POST /v8/Organizations/{id}/explore<")
	assert.Equal(t, 2, strings.Count(s, "<polyline"), "one line per series")
	assert.Equal(t, graphs-1, strings.Count(s, ">No data<"), "every other panel says it has none")
	assert.Contains(t, log.String(), `no data: panel "Token requests"`)
}
