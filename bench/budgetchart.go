package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

const rateChartFile = "performance-vb365-rate.svg"

// rateChart draws the VB365 requests per second of scenario 4 over time,
// against the budget, with the phases marked.
func rateChart(r *budgetResult) []byte {
	const (
		w, hgt                 = 760, 360
		left, right, top, bott = 60, 20, 40, 50
	)
	n := max(len(r.Series), 2)
	yMax := budgetRate * 1.5
	for _, v := range r.Series {
		yMax = math.Max(yMax, v*1.1)
	}
	px := func(i float64) float64 { return left + i/float64(n-1)*float64(w-left-right) }
	py := func(v float64) float64 { return float64(hgt-bott) - v/yMax*float64(hgt-top-bott) }
	var b bytes.Buffer
	f := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, w, hgt, w, hgt)
	f(`<rect width="100%%" height="100%%" fill="white"/>`)
	f(`<text x="%d" y="22" font-size="15" font-weight="bold">VB365 requests per second, %d open restores, budget %g/s</text>`, left, r.Open, budgetRate)
	step := math.Max(5, math.Ceil(yMax/6/5)*5)
	for v := 0.0; v <= yMax; v += step {
		f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`, left, py(v), w-right, py(v))
		f(`<text x="%d" y="%.1f" text-anchor="end">%g</text>`, left-6, py(v)+4, v)
	}
	for _, ph := range r.Phases {
		x := px(ph.At)
		f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#bbb" stroke-dasharray="3,3"/>`, x, top, x, hgt-bott)
		f(`<text x="%.1f" y="%d" font-size="10" transform="rotate(-90 %.1f %d)" text-anchor="end">%s</text>`, x+10, top+4, x+10, top+4, html.EscapeString(ph.Name))
	}
	f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c00" stroke-width="1.5"/>`, left, py(budgetRate), w-right, py(budgetRate))
	f(`<text x="%d" y="%.1f" fill="#c00" text-anchor="end">budget %g/s</text>`, w-right-4, py(budgetRate)-4, budgetRate)
	var pts bytes.Buffer
	for i, v := range r.Series {
		fmt.Fprintf(&pts, "%.1f,%.1f ", px(float64(i)), py(v))
	}
	f(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="%s"/>`, pts.String())
	f(`<text x="%d" y="%d" text-anchor="middle">seconds since the first start call (1 s samples of the simulator's request counter, token grants included)</text>`, (w+left-right)/2, hgt-12)
	f(`</svg>`)
	return b.Bytes()
}
