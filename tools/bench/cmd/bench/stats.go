package main

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// confidence is the level of every interval the benchmark reports.
const confidence = 0.95

// An estimate is a median over rounds with its confidence interval. benchmath computes it
// from order statistics, assuming nothing about the distribution (as benchstat does): with
// fewer than six rounds there is no 95% interval, and lo and hi are infinite.
type estimate struct {
	center, lo, hi float64
	n              int
}

func estimateOf(values []float64) estimate {
	if len(values) == 0 {
		return estimate{center: math.NaN(), lo: math.Inf(-1), hi: math.Inf(1)}
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds), confidence)
	return estimate{center: s.Center, lo: s.Lo, hi: s.Hi, n: len(values)}
}

// pct is the interval as benchstat prints it: ± the larger distance from the median.
func (e estimate) pct() string {
	if e.n == 0 || math.IsInf(e.lo, 0) || math.IsInf(e.hi, 0) || e.center == 0 {
		return "±∞"
	}
	return fmt.Sprintf("±%.0f%%", 100*math.Max(e.hi/e.center-1, 1-e.lo/e.center))
}

// A ratio is one server against a peer: the median of the ratios within each round (paired,
// so drift between rounds cancels), its interval, and whether the two servers' samples
// differ at all by a Mann-Whitney U test (benchmath's test; p < 0.05 says they do).
type ratio struct {
	estimate
	p float64
}

func ratioOf(perRound []float64, mine, peer []float64) ratio {
	r := ratio{estimate: estimateOf(perRound), p: 1}
	if len(mine) > 0 && len(peer) > 0 {
		a := benchmath.NewSample(slices.Clone(mine), &benchmath.DefaultThresholds)
		b := benchmath.NewSample(slices.Clone(peer), &benchmath.DefaultThresholds)
		r.p = benchmath.AssumeNothing.Compare(a, b).P
	}
	return r
}

func (r ratio) significant() bool { return r.p < benchmath.DefaultThresholds.CompareAlpha }

// String is "1.07× (1.03–1.10)", with "~" where the test finds no difference.
func (r ratio) String() string {
	if r.n == 0 || math.IsNaN(r.center) {
		return "–"
	}
	s := fmt.Sprintf("%.2f×", r.center)
	if !math.IsInf(r.lo, 0) && !math.IsInf(r.hi, 0) {
		s += fmt.Sprintf(" (%.2f–%.2f)", r.lo, r.hi)
	}
	if !r.significant() {
		s += " ~"
	}
	return s
}
