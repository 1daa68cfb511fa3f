package main

import (
	"context"
	"time"

	"flavors/code/loadgen"
)

// A run is one server measured once under one load.
type run struct {
	Mode         string  `json:"mode"`
	Round        int     `json:"round"`
	PerSecond    float64 `json:"req_per_s"`
	P50us        float64 `json:"p50_us"`
	P99us        float64 `json:"p99_us"`
	P999us       float64 `json:"p999_us"`
	Errors       int64   `json:"errors"`
	ServerCPU    float64 `json:"server_cpu_pct"`
	GeneratorCPU float64 `json:"generator_cpu_pct"`
	Others       float64 `json:"others_cpu_pct"` // the rest of the machine, in % of one CPU
	Attempts     int     `json:"attempts"`       // measurements made; the least disturbed is kept
	CPUPerReqUs  float64 `json:"server_cpu_us_per_req"`
	Threads      int     `json:"threads"`
	RSSKiB       int64   `json:"rss_kib"`
	Failure      string  `json:"failure,omitempty"`
}

type throughputResult struct {
	Scenario scenario `json:"-"`
	Conns    int      `json:"conns"`
	Depth    int      `json:"depth"`
	Runs     []run    `json:"runs"`
}

// rotate returns modes starting at index round: round 0 runs A B C, round 1 B C A, and so
// on, so no server always goes first (after an idle machine) or last.
func rotate(modes []string, round int) []string {
	k := round % len(modes)
	return append(append([]string{}, modes[k:]...), modes[:k]...)
}

func runThroughput(ctx context.Context, p plan, bin string) []throughputResult {
	var all []throughputResult
	for _, sc := range p.scenarios {
		r := throughputResult{Scenario: sc, Conns: sc.conns, Depth: sc.depth}
		for round := range p.rounds {
			for _, mode := range rotate(p.modes, round) {
				if ctx.Err() != nil {
					return all
				}
				one := measureQuietly(ctx, p, bin, mode, sc)
				one.Round = round
				logf("%-22s round %d  %-12s %9.0f req/s  p99 %6.0fµs  server CPU %3.0f%%  generator CPU %3.0f%%  others %3.0f%% (%d tries) %s",
					sc, round+1, mode, one.PerSecond, one.P99us, one.ServerCPU, one.GeneratorCPU, one.Others, one.Attempts, one.Failure)
				r.Runs = append(r.Runs, one)
			}
		}
		all = append(all, r)
	}
	return all
}

// quietEnough is how much CPU the rest of the machine may take (in % of one CPU) during a
// measured window before the window is measured again. The machine is shared: another
// program's burst of work lands on our CPUs and would be charged to whichever server
// happened to be running.
const quietEnough = 25

// maxAttempts bounds the repeats: on a machine that is never quiet, the quietest of them is
// kept, and the table shows how busy the rest of the machine was.
const maxAttempts = 3

// A repeatBudget bounds the time all repeats together may take, so a busy machine makes the
// benchmark noisier, not endless. The throughput rounds and the ramp have one each, so
// that a noisy start does not leave the ramp's probes without repeats.
type repeatBudget struct{ left time.Duration }

// allow reports whether a repeat that takes d still fits the budget, and spends it.
func (b *repeatBudget) allow(d time.Duration) bool {
	if b.left < d {
		return false
	}
	b.left -= d
	return true
}

func measureQuietly(ctx context.Context, p plan, bin, mode string, sc scenario) run {
	var best run
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 {
			if !p.throughputRepeats.allow(p.warmup + p.duration + 2*time.Second) {
				break
			}
			time.Sleep(time.Second) // let the burst pass
		}
		one := measure(ctx, p, bin, mode, sc)
		if attempt == 1 || one.Others < best.Others {
			best = one
		}
		best.Attempts = attempt
		if one.Failure != "" || one.Others <= quietEnough || ctx.Err() != nil {
			break
		}
	}
	return best
}

// measure starts the server, loads it, and samples its CPU time at the start and the end of
// the measured window (the generator reports both moments), and its RSS and threads at the end.
func measure(ctx context.Context, p plan, bin, mode string, sc scenario) run {
	one := run{Mode: mode}
	m, _ := modeNamed(mode)
	path, args := m.command(bin)
	srv, err := startServer(mode, path, p.serverCPU, args...)
	if err != nil {
		one.Failure = err.Error()
		return one
	}
	defer srv.stop()
	var before, after procSample
	var genBefore, genAfter, busyBefore, busyAfter float64
	watch := func(pr loadgen.Progress) {
		switch {
		case pr.Phase == "measuring" && pr.Elapsed == 0:
			before, _ = sampleServer(srv.pid())
			genBefore, busyBefore = selfCPUSeconds(), machineBusySeconds()
		case pr.Phase == "done":
			after, _ = sampleServer(srv.pid())
			genAfter, busyAfter = selfCPUSeconds(), machineBusySeconds()
		}
	}
	res, err := loadgen.Run(ctx, loadgen.Config{
		Addr: srv.addr, Conns: sc.conns, Depth: sc.depth, Keys: 1000, GetRatio: 0.9, ValueSize: 16,
		Warmup: p.warmup, Duration: p.duration,
	}, watch)
	if err != nil {
		one.Failure = err.Error()
		return one
	}
	if crash := srv.crash(); crash != "" {
		one.Failure = crash
	}
	secs := res.Elapsed.Seconds()
	one.PerSecond = res.PerSecond()
	one.P50us, one.P99us, one.P999us = micros(res.P50), micros(res.P99), micros(res.P999)
	one.Errors = res.Errors
	one.ServerCPU = 100 * (after.cpuSeconds - before.cpuSeconds) / secs
	one.GeneratorCPU = 100 * (genAfter - genBefore) / secs
	if res.Requests > 0 {
		one.CPUPerReqUs = 1e6 * (after.cpuSeconds - before.cpuSeconds) / float64(res.Requests)
	}
	ours := (after.cpuSeconds - before.cpuSeconds) + (genAfter - genBefore)
	one.Others = max(0, 100*((busyAfter-busyBefore)-ours)/secs)
	one.Threads, one.RSSKiB = after.threads, after.rssKiB
	return one
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// syscallRun is one server's system calls per request under one load, counted in a run of
// its own: counting costs the server time, and must not touch the throughput rounds.
type syscallRun struct {
	Conns      int              `json:"conns"`
	Depth      int              `json:"depth"`
	Mode       string           `json:"mode"`
	Tool       string           `json:"tool"`
	Requests   int64            `json:"requests"`
	Syscalls   int64            `json:"syscalls"`
	PerRequest float64          `json:"per_request"`
	ByName     map[string]int64 `json:"by_name"`
	PerSecond  float64          `json:"req_per_s_while_counted"`
	Failure    string           `json:"failure,omitempty"`
}

func runSyscalls(ctx context.Context, p plan, bin, tmp string) []syscallRun {
	var all []syscallRun
	for _, sc := range p.scenarios {
		for _, mode := range p.modes {
			if ctx.Err() != nil {
				return all
			}
			r := countRun(ctx, p, bin, tmp, mode, sc)
			logf("%-22s syscalls  %-9s %5.2f per request (%s)  %s", sc, mode, r.PerRequest,
				syscallCounts{byName: r.ByName}.top(4, float64(max(r.Requests, 1))), r.Failure)
			all = append(all, r)
		}
	}
	return all
}

// countRun counts every system call the server makes, in all its threads, from before the
// generator connects until after its last answer; divided by every request answered,
// preload and warm-up included.
func countRun(ctx context.Context, p plan, bin, tmp, mode string, sc scenario) syscallRun {
	r := syscallRun{Conns: sc.conns, Depth: sc.depth, Mode: mode, Tool: p.syscalls}
	m, _ := modeNamed(mode)
	path, args := m.command(bin)
	srv, err := startServer(mode, path, p.serverCPU, args...)
	if err != nil {
		r.Failure = err.Error()
		return r
	}
	defer srv.stop()
	counter, err := startSyscallCounter(p.syscalls, srv.pid(), tmp)
	if err != nil {
		r.Failure = err.Error()
		return r
	}
	res, runErr := loadgen.Run(ctx, loadgen.Config{
		Addr: srv.addr, Conns: sc.conns, Depth: sc.depth, Keys: 1000, GetRatio: 0.9, ValueSize: 16,
		Warmup: p.warmup / 2, Duration: p.duration / 2,
	}, nil)
	counts, err := counter.stop()
	switch {
	case runErr != nil:
		r.Failure = runErr.Error()
	case err != nil:
		r.Failure = err.Error()
	}
	r.Requests, r.Syscalls, r.ByName, r.PerSecond = res.Total, counts.total, counts.byName, res.PerSecond()
	if res.Total > 0 {
		r.PerRequest = float64(counts.total) / float64(res.Total)
	}
	return r
}
