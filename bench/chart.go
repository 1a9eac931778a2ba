package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// historyChart draws history events per restore against idle minutes, both
// axes logarithmic: measured points joined by solid lines, the extrapolation
// to 24 h dashed.
func historyChart(h *historyResult) []byte {
	const (
		w, hgt                 = 760, 440
		left, right, top, bott = 80, 170, 40, 60
	)
	xMin, xMax := math.Log10(0.5), math.Log10(2000)
	yMin, yMax := 1.0, 6.0 // 10 .. 1,000,000
	px := func(min float64) float64 {
		return left + (math.Log10(min)-xMin)/(xMax-xMin)*float64(w-left-right)
	}
	py := func(ev float64) float64 {
		ev = math.Max(ev, 10)
		return float64(hgt-bott) - (math.Log10(ev)-yMin)/(yMax-yMin)*float64(hgt-top-bott)
	}
	var b bytes.Buffer
	f := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, w, hgt, w, hgt)
	f(`<rect width="100%%" height="100%%" fill="white"/>`)
	f(`<text x="%d" y="22" font-size="15" font-weight="bold">History events per restore vs idle time (15 s poll interval)</text>`, left)
	for e := 1; e <= 6; e++ {
		y := py(math.Pow(10, float64(e)))
		f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, left, y, w-right, y)
		f(`<text x="%d" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, html.EscapeString(humanInt(math.Pow(10, float64(e)))))
	}
	for _, m := range []float64{1, 5, 15, 60, 240, 1440} {
		x := px(m)
		f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`, x, top, x, hgt-bott)
		label := fmt.Sprintf("%g min", m)
		if m >= 60 {
			label = fmt.Sprintf("%g h", m/60)
		}
		f(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, hgt-bott+18, label)
	}
	f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`, left, hgt-bott, w-right, hgt-bott)
	f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`, left, top, left, hgt-bott)
	f(`<text x="%d" y="%d" text-anchor="middle">idle time of the session (log scale)</text>`, (left+w-right)/2, hgt-18)
	f(`<text transform="translate(20 %d) rotate(-90)" text-anchor="middle">history events (log scale)</text>`, (top+hgt-bott)/2)

	series := []struct {
		kind, color, name string
		a, b              float64
	}{
		{"product", "#1f77b4", "vb365-restore", h.ProductA + 2*batchCost, h.ProductB},
		{"naive", "#d62728", "naive poller", h.NaiveA, h.NaiveB},
	}
	for i, s := range series {
		var pts []string
		lastX, lastY := 0.0, 0.0
		for _, p := range h.Points {
			if p.Kind != s.kind {
				continue
			}
			x, y := px(p.IdleSim.Minutes()), py(float64(p.Events))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			f(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %d events at %g min</title></circle>`, x, y, s.color, s.name, p.Events, p.IdleSim.Minutes())
			lastX, lastY = x, y
		}
		if len(pts) > 1 {
			f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, join(pts), s.color)
		}
		if len(pts) > 0 {
			ex, ey := px(1440), py(s.a+s.b*1440)
			f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`, lastX, lastY, ex, ey, s.color)
			f(`<circle cx="%.1f" cy="%.1f" r="4" fill="white" stroke="%s" stroke-width="2"><title>%s: %.0f events at 24 h (extrapolated)</title></circle>`, ex, ey, s.color, s.name, s.a+s.b*1440)
		}
		ly := top + 20 + 22*i
		f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`, w-right+12, ly, w-right+36, ly, s.color)
		f(`<text x="%d" y="%d">%s</text>`, w-right+42, ly+4, s.name)
	}
	ly := top + 20 + 22*len(series)
	f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="2" stroke-dasharray="6 4"/>`, w-right+12, ly, w-right+36, ly)
	f(`<text x="%d" y="%d">extrapolated</text>`, w-right+42, ly+4)
	f(`</svg>`)
	return b.Bytes()
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

func humanInt(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}
