// Command dashboard draws the Grafana dashboard deploy/grafana/vb365-restore-worker.json as an
// SVG image without Grafana: every panel in its grid position, with its title, its own PromQL
// queries evaluated by a Prometheus server over a time range, as time series lines with a legend.
//
//	go run ./scripts/dashboard -prometheus http://127.0.0.1:9091 -from 2026-11-30T12:00:00Z -to 2026-11-30T12:08:00Z -out docs/dashboard.svg
//
// The dashboard's template variables ($job, $instance) are resolved the way Grafana resolves them
// with "All" selected: their label_values queries are asked of the same Prometheus, and the values
// found become a regex alternative. scripts/dashboard.sh runs the worker, a Prometheus scraping it,
// and this command.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type options struct {
	prometheus string
	dashboard  string
	out        string
	from, to   time.Time
	step       time.Duration
	about      string // what ran while Prometheus scraped, for the image's header
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	var from, to string
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.prometheus, "prometheus", "", "Prometheus server's URL (its HTTP API answers under /api/v1)")
	fs.StringVar(&o.dashboard, "dashboard", "deploy/grafana/vb365-restore-worker.json", "the Grafana dashboard JSON")
	fs.StringVar(&o.out, "out", "docs/dashboard.svg", "the SVG to write")
	fs.StringVar(&from, "from", "", "start of the time range (RFC 3339)")
	fs.StringVar(&to, "to", "", "end of the time range (RFC 3339)")
	fs.DurationVar(&o.step, "step", 0, "query resolution; 0: the range over 240 points, at least 5s")
	fs.StringVar(&o.about, "about", "", "one line on what ran while Prometheus scraped (shown in the header)")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	if o.prometheus == "" {
		return o, usageError{"-prometheus is required"}
	}
	var err error
	if o.from, err = time.Parse(time.RFC3339, from); err != nil {
		return o, usageError{fmt.Sprintf("-from %q: want RFC 3339, e.g. 2026-11-30T12:00:00Z", from)}
	}
	if o.to, err = time.Parse(time.RFC3339, to); err != nil {
		return o, usageError{fmt.Sprintf("-to %q: want RFC 3339, e.g. 2026-11-30T12:08:00Z", to)}
	}
	if !o.to.After(o.from) {
		return o, usageError{fmt.Sprintf("-to %s is not after -from %s", to, from)}
	}
	if o.step < 0 {
		return o, usageError{fmt.Sprintf("-step %s is negative", o.step)}
	}
	if o.step == 0 {
		o.step = autoStep(o.from, o.to)
	}
	return o, nil
}

// autoStep is the resolution Grafana would pick for a panel about 240 points wide, never finer
// than the 5 s scrape interval of scripts/dashboard.sh.
func autoStep(from, to time.Time) time.Duration {
	return max(5*time.Second, to.Sub(from)/240).Round(time.Second)
}

func run(args []string, errOut io.Writer) error {
	o, err := parseFlags(args, errOut)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(o.dashboard)
	if err != nil {
		return err
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%s: %w", o.dashboard, err)
	}
	c, err := api.NewClient(api.Config{Address: o.prometheus})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := evaluate(ctx, promv1.NewAPI(c), d, o, errOut)
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.out, render(r), 0o644); err != nil {
		return err
	}
	empty := 0
	for _, p := range r.panels {
		if p.panel.Type != "row" && p.series() == 0 {
			empty++
			fmt.Fprintf(errOut, "no data: panel %q\n", p.panel.Title)
		}
	}
	fmt.Fprintf(errOut, "wrote %s: %d panels, %d without data, step %s\n", o.out, len(r.panels), empty, o.step)
	return nil
}

// dashboard is the part of Grafana's dashboard JSON the drawing uses.
type dashboard struct {
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int      `json:"id"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	GridPos     gridPos  `json:"gridPos"`
	Targets     []target `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

type variable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	Multi      bool   `json:"multi"`
	IncludeAll bool   `json:"includeAll"`
}

// prometheusAPI is the part of the Prometheus HTTP API the drawing asks.
type prometheusAPI interface {
	LabelValues(ctx context.Context, label string, matches []string, start, end time.Time, opts ...promv1.Option) (model.LabelValues, promv1.Warnings, promv1.Infos, error)
	QueryRange(ctx context.Context, query string, r promv1.Range, opts ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error)
	Buildinfo(ctx context.Context) (promv1.BuildinfoResult, error)
}

// result is the dashboard with each panel's answers.
type result struct {
	title    string
	from, to time.Time
	step     time.Duration
	vars     []resolved
	server   string // Prometheus's version
	about    string
	panels   []panelResult
}

type resolved struct {
	name   string
	values []string
	regex  string
}

type panelResult struct {
	panel   panel
	queries []queryResult
}

type queryResult struct {
	target target
	expr   string // with the variables replaced
	series []series
	err    error
}

type series struct {
	name   string
	points []model.SamplePair
}

func (p panelResult) series() int {
	n := 0
	for _, q := range p.queries {
		n += len(q.series)
	}
	return n
}

// labelValuesQuery is Grafana's label_values(metric{selectors}, label) and label_values(label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// evaluate resolves the template variables in order (a later one's query may name an earlier
// one), then runs every target of every panel over the range.
func evaluate(ctx context.Context, p prometheusAPI, d dashboard, o options, warn io.Writer) (result, error) {
	r := result{title: d.Title, from: o.from, to: o.to, step: o.step, about: o.about}
	if bi, err := p.Buildinfo(ctx); err == nil {
		r.server = bi.Version
	} else {
		fmt.Fprintf(warn, "warning: Prometheus build info: %v\n", err)
	}
	vals := map[string]string{}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		m := labelValuesQuery.FindStringSubmatch(q)
		if m == nil {
			return r, fmt.Errorf("template variable %s: query %q is not label_values(...)", v.Name, q)
		}
		var matches []string
		if m[1] != "" {
			sel, err := substitute(m[1], vals)
			if err != nil {
				return r, fmt.Errorf("template variable %s: %w", v.Name, err)
			}
			matches = []string{sel}
		}
		lv, warnings, _, err := p.LabelValues(ctx, m[2], matches, o.from, o.to)
		if err != nil {
			return r, fmt.Errorf("template variable %s: %s: %w", v.Name, q, err)
		}
		for _, w := range warnings {
			fmt.Fprintf(warn, "warning: template variable %s: %s\n", v.Name, w)
		}
		if len(lv) == 0 {
			return r, fmt.Errorf("template variable %s: %s found no value in %s..%s: did Prometheus scrape the worker?", v.Name, q, o.from.Format(time.RFC3339), o.to.Format(time.RFC3339))
		}
		values := make([]string, len(lv))
		for i, x := range lv {
			values[i] = string(x)
		}
		sort.Strings(values)
		vals[v.Name] = variableValue(values, v.Multi || v.IncludeAll)
		r.vars = append(r.vars, resolved{name: v.Name, values: values, regex: vals[v.Name]})
	}
	for _, pn := range d.Panels {
		pr := panelResult{panel: pn}
		for _, t := range pn.Targets {
			qr := queryResult{target: t}
			qr.expr, qr.err = substitute(t.Expr, vals)
			if qr.err == nil {
				qr.series, qr.err = queryRange(ctx, p, qr.expr, t.LegendFormat, promv1.Range{Start: o.from, End: o.to, Step: o.step}, warn)
			}
			if qr.err != nil {
				fmt.Fprintf(warn, "panel %q query %s: %v\n", pn.Title, t.RefID, qr.err)
			}
			pr.queries = append(pr.queries, qr)
		}
		r.panels = append(r.panels, pr)
	}
	return r, nil
}

func queryRange(ctx context.Context, p prometheusAPI, expr, legendFormat string, rg promv1.Range, warn io.Writer) ([]series, error) {
	v, warnings, _, err := p.QueryRange(ctx, expr, rg)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintf(warn, "warning: %s: %s\n", expr, w)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query_range answered a %s, not a matrix", v.Type())
	}
	var out []series
	for _, s := range m {
		out = append(out, series{name: legend(legendFormat, s.Metric), points: s.Values})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// variableRef is a reference to a template variable: $name, ${name} or [[name]].
var variableRef = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)|\[\[([a-zA-Z_][a-zA-Z0-9_]*)\]\]`)

// substitute replaces the template variables of a query by their values; a variable the
// dashboard does not define (or not yet, for a variable's own query) is an error, since
// Prometheus would take "$job" literally and match nothing.
func substitute(expr string, vals map[string]string) (string, error) {
	var missing []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		v, ok := vals[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("query %q names template variable(s) %s, which have no value", expr, strings.Join(missing, ", "))
	}
	return out, nil
}

// variableValue is how Grafana's Prometheus data source writes a variable's values into a
// query: a multi-value (or "All") variable as a regex alternative of its values, each escaped
// for a regex, in parentheses when there is more than one; a single-value variable as the
// value itself, with the regex metacharacters escaped (it sits in =~ matchers too).
func variableValue(values []string, multi bool) string {
	esc := make([]string, len(values))
	for i, v := range values {
		esc[i] = regexEscape(v)
	}
	if !multi || len(esc) == 1 {
		return strings.Join(esc, "|")
	}
	return "(" + strings.Join(esc, "|") + ")"
}

// regexEscape escapes a label value for a PromQL regex inside a double-quoted string: the
// regex metacharacters get a backslash, which the string itself writes as two.
func regexEscape(s string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(s), `\`, `\\`)
}

// legendPlaceholder is {{label}} in a legendFormat, spaces allowed inside the braces.
var legendPlaceholder = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// legend names a series as Grafana does: the legendFormat with {{label}} replaced by the
// series' label value (empty when it has none), or the series' own name and labels when the
// target has no legendFormat.
func legend(format string, m model.Metric) string {
	if format == "" || format == "__auto" {
		if len(m) == 0 {
			return "value"
		}
		return m.String()
	}
	return legendPlaceholder.ReplaceAllStringFunc(format, func(ph string) string {
		name := legendPlaceholder.FindStringSubmatch(ph)[1]
		return string(m[model.LabelName(name)])
	})
}

// Grid geometry: Grafana's dashboard grid is 24 columns wide, a grid row is 30 px high, and
// panels are 8 px apart.
const (
	gridColumns = 24
	cellHeight  = 30
	cellMargin  = 8
	imageWidth  = 1600
	pagePadding = 16
)

type rect struct{ X, Y, W, H float64 }

// layout places a gridPos on the page: x and width in 24ths of the page's width, y and height
// in grid rows, each panel inset by half the margin on every side so that neighbours are a
// margin apart; top is where the grid begins.
func layout(g gridPos, top float64) rect {
	col := float64(imageWidth-2*pagePadding) / gridColumns
	row := float64(cellHeight + cellMargin)
	return rect{
		X: pagePadding + float64(g.X)*col + cellMargin/2,
		Y: top + float64(g.Y)*row + cellMargin/2,
		W: float64(g.W)*col - cellMargin,
		H: float64(g.H)*row - cellMargin,
	}
}

// palette is Grafana's classic series palette, in its order.
var palette = []string{"#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9", "#705DA0", "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477"}

// render draws the dashboard.
func render(r result) []byte {
	var vars []string
	for _, v := range r.vars {
		vars = append(vars, fmt.Sprintf("$%s = %s", v.name, strings.Join(v.values, ", ")))
	}
	textWidth := float64(imageWidth - 2*pagePadding - 16)
	details := wrap(fmt.Sprintf("%s to %s UTC, step %s; %s. %s", r.from.UTC().Format("2006-01-02 15:04:05"), r.to.UTC().Format("15:04:05"),
		r.step, strings.Join(vars, "; "), r.about), int(textWidth/charWidth))
	bannerH := 40 + 15*len(details)
	headerH := 42 + bannerH + 16
	bottom := 0
	for _, p := range r.panels {
		bottom = max(bottom, p.panel.GridPos.Y+p.panel.GridPos.H)
	}
	hgt := headerH + bottom*(cellHeight+cellMargin) + pagePadding
	var b bytes.Buffer
	f := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, imageWidth, hgt, imageWidth, hgt)
	f(`<rect width="100%%" height="100%%" fill="#f4f5f5"/>`)
	f(`<text x="%d" y="30" font-size="18" font-weight="bold">%s</text>`, pagePadding, esc(r.title))
	f(`<rect x="%d" y="42" width="%d" height="%d" fill="#fff4d6" stroke="#e0b000"/>`, pagePadding, imageWidth-2*pagePadding, bannerH)
	server := "a real Prometheus server"
	if r.server != "" {
		server = "a real Prometheus server (" + r.server + ")"
	}
	f(`<text x="%d" y="60" font-weight="bold">Not a Grafana screenshot: a rendering of this dashboard's own PromQL queries, evaluated by %s over a real run of the worker, drawn by scripts/dashboard.</text>`, pagePadding+8, esc(server))
	f(`<text x="%d" y="76">Grafana could not run where this was made (no package, no container engine, and its AGPL code is not used by this project); the panels, their grid positions, queries and legends are the dashboard's.</text>`, pagePadding+8)
	for i, l := range details {
		f(`<text x="%d" y="%d" font-size="11" fill="#444">%s</text>`, pagePadding+8, 92+15*i, esc(l))
	}
	for _, p := range r.panels {
		box := layout(p.panel.GridPos, float64(headerH))
		if p.panel.Type == "row" {
			f(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold">%s</text>`, box.X, box.Y+box.H-6, esc(p.panel.Title))
			f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`, box.X, box.Y+box.H, box.X+box.W, box.Y+box.H)
			continue
		}
		drawPanel(&b, p, box, r.from, r.to)
	}
	f(`</svg>`)
	return b.Bytes()
}

func esc(s string) string { return html.EscapeString(s) }

// wrap breaks s into lines of at most n characters at spaces (a longer word gets a line of its own).
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// legendItem is a series' entry in a panel's legend.
type legendItem struct {
	name, color string
}

// charWidth is the assumed width of a character of the 11 px legend font, for wrapping.
const charWidth = 6.2

// legendLines wraps the legend items into lines no wider than width, as Grafana's list legend
// at the bottom does.
func legendLines(items []legendItem, width float64) [][]legendItem {
	var lines [][]legendItem
	var cur []legendItem
	used := 0.0
	for _, it := range items {
		w := 22 + charWidth*float64(len([]rune(it.name))) + 14
		if len(cur) > 0 && used+w > width {
			lines = append(lines, cur)
			cur, used = nil, 0
		}
		cur = append(cur, it)
		used += w
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

func drawPanel(b *bytes.Buffer, p panelResult, box rect, from, to time.Time) {
	f := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	f(`<g>`)
	f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" stroke="#d8d9da" rx="3"/>`, box.X, box.Y, box.W, box.H)
	f(`<text x="%.1f" y="%.1f" font-size="13" font-weight="bold">%s</text>`, box.X+8, box.Y+19, esc(p.panel.Title))

	var items []legendItem
	var lines []struct {
		color  string
		points []model.SamplePair
	}
	var errs []string
	for _, q := range p.queries {
		if q.err != nil {
			errs = append(errs, q.target.RefID+": "+q.err.Error())
		}
		for _, s := range q.series {
			c := palette[len(items)%len(palette)]
			items = append(items, legendItem{name: s.name, color: c})
			lines = append(lines, struct {
				color  string
				points []model.SamplePair
			}{c, s.points})
		}
	}
	const legendLine = 16
	legend := legendLines(items, box.W-16)
	maxLegend := max(1, int((box.H-30-110)/legendLine)) // the plot keeps at least 110 px
	more := 0
	if len(legend) > maxLegend {
		for _, l := range legend[maxLegend-1:] {
			more += len(l)
		}
		legend = legend[:maxLegend-1]
	}
	legendRows := len(legend)
	if more > 0 {
		legendRows++
	}
	plot := rect{X: box.X + 62, Y: box.Y + 32, W: box.W - 62 - 12, H: box.H - 32 - 26 - float64(legendRows)*legendLine - 6}
	unit := p.panel.FieldConfig.Defaults.Unit

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, pt := range l.points {
			v := float64(pt.Value)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if len(errs) > 0 {
		for i, e := range errs {
			f(`<text x="%.1f" y="%.1f" font-size="11" fill="#c00">%s</text>`, box.X+8, plot.Y+14+float64(i)*14, esc(truncate(e, int(box.W/charWidth))))
		}
	}
	if math.IsInf(lo, 1) {
		f(`<text x="%.1f" y="%.1f" font-size="16" fill="#888" text-anchor="middle">No data</text>`, plot.X+plot.W/2, plot.Y+plot.H/2)
		for i, q := range p.queries {
			f(`<text x="%.1f" y="%.1f" font-size="9" fill="#888">%s: %s</text>`, box.X+8, box.Y+box.H-8-float64(len(p.queries)-1-i)*11, esc(q.target.RefID), esc(truncate(q.expr, int((box.W-30)/5.2))))
		}
		f(`</g>`)
		return
	}
	ticks := niceTicks(math.Min(lo, 0), hi, 5)
	yMin, yMax := ticks[0], ticks[len(ticks)-1]
	span := to.Sub(from).Seconds()
	px := func(t model.Time) float64 { return plot.X + t.Time().Sub(from).Seconds()/span*plot.W }
	py := func(v float64) float64 { return plot.Y + plot.H - (v-yMin)/(yMax-yMin)*plot.H }
	step := ticks[1] - ticks[0]
	for _, t := range ticks {
		f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, plot.X, py(t), plot.X+plot.W, py(t))
		f(`<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#555">%s</text>`, plot.X-5, py(t)+3, esc(formatValue(t, unit, step)))
	}
	for _, t := range timeTicks(from, to, int(plot.W/90)) {
		x := plot.X + t.Sub(from).Seconds()/span*plot.W
		f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, x, plot.Y, x, plot.Y+plot.H)
		f(`<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#555">%s</text>`, x, plot.Y+plot.H+13, t.UTC().Format("15:04"))
	}
	f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb"/>`, plot.X, plot.Y+plot.H, plot.X+plot.W, plot.Y+plot.H)
	for _, l := range lines {
		for _, seg := range segments(l.points) {
			var pts []string
			for _, pt := range seg {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(pt.Timestamp), py(float64(pt.Value))))
			}
			if len(pts) == 1 {
				x, y, _ := strings.Cut(pts[0], ",")
				f(`<circle cx="%s" cy="%s" r="1.5" fill="%s"/>`, x, y, l.color)
				continue
			}
			f(`<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.color, strings.Join(pts, " "))
		}
	}
	ly := plot.Y + plot.H + 30
	for _, line := range legend {
		x := box.X + 8
		for _, it := range line {
			f(`<rect x="%.1f" y="%.1f" width="14" height="4" fill="%s"/>`, x, ly-6, it.color)
			f(`<text x="%.1f" y="%.1f" font-size="11">%s</text>`, x+20, ly-1, esc(it.name))
			x += 22 + charWidth*float64(len([]rune(it.name))) + 14
		}
		ly += legendLine
	}
	if more > 0 {
		f(`<text x="%.1f" y="%.1f" font-size="11" fill="#555">and %d more series</text>`, box.X+8, ly-1, more)
	}
	f(`</g>`)
}

// segments splits a series where it has no value (NaN, such as a quantile of no observations,
// or a missing step), so that a gap stays a gap, as in Grafana.
func segments(points []model.SamplePair) [][]model.SamplePair {
	var out [][]model.SamplePair
	var cur []model.SamplePair
	var gap model.Time
	if len(points) > 1 {
		gap = points[1].Timestamp - points[0].Timestamp
		for i := 2; i < len(points); i++ {
			gap = min(gap, points[i].Timestamp-points[i-1].Timestamp)
		}
	}
	for i, pt := range points {
		v := float64(pt.Value)
		broken := math.IsNaN(v) || math.IsInf(v, 0)
		if !broken && len(cur) > 0 && i > 0 && pt.Timestamp-points[i-1].Timestamp > gap*3/2 {
			out = append(out, cur)
			cur = nil
		}
		if broken {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, pt)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// niceTicks are about n round values from at most lo to at least hi (1, 2 or 5 times a power
// of ten apart).
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		if hi == 0 {
			hi = 1
		} else {
			lo, hi = math.Min(lo, 0), hi+math.Abs(hi)*0.5
		}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for v := start; v < hi+step*0.999; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	if len(out) < 2 {
		out = append(out, out[len(out)-1]+step)
	}
	return out
}

// timeTicks are round times (1, 2, 5, 10, 15 or 30 minutes apart, or hours) inside from..to,
// about n of them at most.
func timeTicks(from, to time.Time, n int) []time.Time {
	n = max(n, 2)
	steps := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if to.Sub(from)/s <= time.Duration(n) {
			step = s
			break
		}
	}
	var out []time.Time
	for t := from.Truncate(step); !t.After(to); t = t.Add(step) {
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out
}

// formatValue writes an axis value in the panel's unit, as Grafana's unit names mean: reqps
// requests per second, ops operations per second, s seconds (ms below one), bytes in binary
// multiples, short and none with k/M suffixes. step is the distance between ticks, which
// decides the decimals.
func formatValue(v float64, unit string, step float64) string {
	switch unit {
	case "s":
		if math.Abs(v) < 1 && v != 0 {
			return trim(v*1000, step*1000) + " ms"
		}
		return trim(v, step) + " s"
	case "bytes":
		units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
		i := 0
		for math.Abs(v) >= 1024 && i < len(units)-1 {
			v, step = v/1024, step/1024
			i++
		}
		return trim(v, step) + " " + units[i]
	case "reqps":
		return short(v, step) + " req/s"
	case "ops":
		return short(v, step) + " ops/s"
	}
	return short(v, step)
}

func short(v, step float64) string {
	switch {
	case math.Abs(v) >= 1e6:
		return trim(v/1e6, step/1e6) + "M"
	case math.Abs(v) >= 1e3:
		return trim(v/1e3, step/1e3) + "K"
	}
	return trim(v, step)
}

// trim writes v with as many decimals as the tick step needs.
func trim(v, step float64) string {
	d := 0
	if step > 0 && step < 1 {
		d = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return fmt.Sprintf("%.*f", d, v)
}
