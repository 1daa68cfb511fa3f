package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The plots are written by hand: a few dozen lines of SVG need no plotting library, and the
// benchmark module then depends on nothing but gnet.

type point struct{ x, y float64 }

type series struct {
	name   string
	points []point
	// crashedAt, if not zero, is the x where the server died: drawn as a cross on the axis.
	crashedAt float64
}

type reference struct {
	y     float64
	label string
}

type lineChart struct {
	title, xLabel, yLabel string
	logX, logY            bool
	yFormat               func(float64) string
	series                []series
	refs                  []reference
}

const (
	chartW, chartH                     = 680, 380
	marginL, marginR, marginT, marginB = 72, 170, 44, 52
)

// modeColor keeps one color per server across every plot of the chapter.
var modeColor = map[string]string{
	"threaded": "#d62728", "threaded-20k": "#ff7f0e", "gonet": "#1f77b4", "busywait": "#e377c2",
	"select": "#9467bd", "poll": "#8c564b", "epoll": "#2ca02c", "uring": "#17becf", "gnet": "#7f7f7f",
	"pool": "#bcbd22", "pool-64": "#bcbd22", "pool-refuse": "#dbdb8d", "forked": "#8c6d31",
}

func colorOf(name string) string {
	if c, ok := modeColor[name]; ok {
		return c
	}
	return "#17becf"
}

type axis struct {
	lo, hi float64
	log    bool
	px0    float64 // pixel of lo
	px1    float64 // pixel of hi
}

func (a axis) at(v float64) float64 {
	if a.log {
		v, lo, hi := math.Log10(math.Max(v, a.lo)), math.Log10(a.lo), math.Log10(a.hi)
		return a.px0 + (v-lo)/(hi-lo)*(a.px1-a.px0)
	}
	return a.px0 + (v-a.lo)/(a.hi-a.lo)*(a.px1-a.px0)
}

// ticks are powers of ten on a log axis, steps of 1, 2 or 5 times a power of ten otherwise.
func (a axis) ticks() []float64 {
	var t []float64
	if a.log {
		for p := math.Floor(math.Log10(a.lo)); p <= math.Ceil(math.Log10(a.hi)); p++ {
			if v := math.Pow(10, p); v >= a.lo*0.999 && v <= a.hi*1.001 {
				t = append(t, v)
			}
		}
		return t
	}
	step := niceStep((a.hi - a.lo) / 5)
	for v := math.Ceil(a.lo/step) * step; v <= a.hi+step/1000; v += step {
		t = append(t, v)
	}
	return t
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// bounds is the range of the data, widened to whole decades on a log axis and to zero and a
// round top on a linear one.
func bounds(vals []float64, log bool) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if log && v <= 0 {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if math.IsInf(lo, 1) {
		return 1, 10
	}
	if log {
		return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi*1.0001)))
	}
	step := niceStep(hi / 5)
	return 0, math.Max(step, math.Ceil(hi*1.05/step)*step)
}

func (c lineChart) svg() string {
	var xs, ys []float64
	for _, s := range c.series {
		for _, p := range s.points {
			xs, ys = append(xs, p.x), append(ys, p.y)
		}
		if s.crashedAt > 0 {
			xs = append(xs, s.crashedAt)
		}
	}
	for _, r := range c.refs {
		ys = append(ys, r.y)
	}
	xlo, xhi := bounds(xs, c.logX)
	if c.logX && len(xs) > 0 {
		xlo, xhi = minOf(xs), maxOf(xs) // the ramp's own steps, not whole decades
	}
	ylo, yhi := bounds(ys, c.logY)
	x := axis{lo: xlo, hi: xhi, log: c.logX, px0: marginL, px1: chartW - marginR}
	y := axis{lo: ylo, hi: yhi, log: c.logY, px0: chartH - marginB, px1: marginT}
	yFormat := c.yFormat
	if yFormat == nil {
		yFormat = shortNumber
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="system-ui, sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", html.EscapeString(c.title))
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="600">%s</text>`+"\n", marginL, html.EscapeString(c.title))
	// Grid and tick labels.
	for _, t := range y.ticks() {
		py := y.at(t)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", marginL, chartW-marginR, py, py)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="#444">%s</text>`+"\n", marginL-6, py, yFormat(t))
	}
	xticks := x.ticks()
	if c.logX {
		xticks = uniquePoints(xs)
	}
	for _, t := range xticks {
		px := x.at(t)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>`+"\n", px, px, marginT, chartH-marginB)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>`+"\n", px, chartH-marginB+16, shortNumber(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", marginL, marginT, chartW-marginR-marginL, chartH-marginB-marginT)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#222">%s</text>`+"\n", (marginL+chartW-marginR)/2, chartH-12, html.EscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle" fill="#222">%s</text>`+"\n", (marginT+chartH-marginB)/2, html.EscapeString(c.yLabel))
	for _, r := range c.refs {
		py := y.at(r.y)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#555" stroke-dasharray="5 4"/>`+"\n", marginL, chartW-marginR, py, py)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#555">%s</text>`+"\n", marginL+6, py-5, html.EscapeString(r.label))
	}
	// Series, and the legend beside the plot.
	for i, s := range c.series {
		col := colorOf(s.name)
		var pts []string
		for _, p := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.at(p.x), y.at(p.y)))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		}
		for _, p := range pts {
			xy := strings.Split(p, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.2" fill="%s"/>`+"\n", xy[0], xy[1], col)
		}
		if s.crashedAt > 0 {
			px, py := x.at(s.crashedAt), float64(marginT+14+12*i)
			fmt.Fprintf(&b, `<path d="M%.1f %.1fl8 8m0 -8l-8 8" stroke="%s" stroke-width="2.4"/>`+"\n", px-4, py-4, col)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="%s">crashed</text>`+"\n", px-8, py, col)
		}
		ly := marginT + 8 + 20*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", chartW-marginR+14, chartW-marginR+36, ly, ly, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle" fill="#222">%s</text>`+"\n", chartW-marginR+42, ly, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// A barChart is one horizontal bar per server, labelled with its value and a ratio.
type barChart struct {
	title string
	bars  []bar
}

type bar struct {
	name  string
	value float64
	label string
}

func (c barChart) svg() string {
	const rowH, left, right = 30, 90, 230
	h := marginT + rowH*len(c.bars) + 20
	var hi float64
	for _, b := range c.bars {
		hi = math.Max(hi, b.value)
	}
	if hi == 0 {
		hi = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="system-ui, sans-serif" font-size="12">`+"\n", chartW, h, chartW, h)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", html.EscapeString(c.title))
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="600">%s</text>`+"\n", 12, html.EscapeString(c.title))
	for i, br := range c.bars {
		y := marginT + rowH*i
		w := (chartW - left - right) * br.value / hi
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle" fill="#222">%s</text>`+"\n", left-8, y+rowH/2-2, html.EscapeString(br.name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y+4, w, rowH-12, colorOf(br.name))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" dominant-baseline="middle" fill="#222">%s</text>`+"\n", float64(left)+w+6, y+rowH/2-2, html.EscapeString(br.label))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func uniquePoints(v []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// shortNumber writes 1500 as 1.5k and 0.25 as 0.25.
func shortNumber(v float64) string {
	switch {
	case v >= 1e6:
		return trimZeros(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case v >= 1 || v == 0:
		return trimZeros(fmt.Sprintf("%.1f", v))
	default:
		return trimZeros(fmt.Sprintf("%.3f", v))
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
