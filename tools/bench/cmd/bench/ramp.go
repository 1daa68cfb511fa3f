package main

import (
	"context"
	"math"
	"time"

	"flavors/code/loadgen"
)

// A rampStep is what one server looked like holding a number of idle connections while the
// active clients were probing it.
type rampStep struct {
	Target      int     `json:"target"`  // idle connections asked for
	Held        int     `json:"held"`    // idle connections the server took in
	Waiting     int     `json:"waiting"` // of those, accepted but not answered: queued
	Refused     int     `json:"refused"`
	Processes   int     `json:"processes"` // the server's, children included
	GrowSeconds float64 `json:"grow_s"`
	Threads     int     `json:"threads"`
	FDs         int     `json:"fds"`
	RSSKiB      int64   `json:"rss_kib"`
	KernelStack int64   `json:"kernel_stack_kib"` // the machine's, for the thread cost RSS misses
	CPU         float64 `json:"cpu_pct"`          // server CPU while probed
	PerSecond   float64 `json:"active_req_per_s"` // achieved
	Intended    float64 `json:"active_intended_req_per_s"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	P999us      float64 `json:"p999_us"`
	Errors      int64   `json:"errors"`
	Others      float64 `json:"others_cpu_pct"`
	Attempts    int     `json:"attempts"`
	Failure     string  `json:"failure,omitempty"`
}

type rampRun struct {
	Mode  string     `json:"mode"`
	Round int        `json:"round"`
	Steps []rampStep `json:"steps"` // Steps[0] has no idle connection: the baseline
}

// runRamps ramps every server and then churns it, a fresh process each, round after round.
func runRamps(ctx context.Context, p plan, bin string) ([]rampRun, []churnRun) {
	var ramps []rampRun
	var churns []churnRun
	for round := range p.rampRounds {
		for _, mode := range rotate(p.rampModes, round) {
			if ctx.Err() != nil {
				return ramps, churns
			}
			r := rampOne(ctx, p, bin, mode)
			r.Round = round
			ramps = append(ramps, r)
			if p.churnRounds > 0 {
				churns = append(churns, runChurn(ctx, p, bin, mode, round))
			}
		}
	}
	return ramps, churns
}

func rampOne(ctx context.Context, p plan, bin, mode string) rampRun {
	r := rampRun{Mode: mode}
	m, _ := modeNamed(mode)
	path, args := m.command(bin)
	srv, err := startServer(mode, path, p.serverCPU, args...)
	if err != nil {
		r.Steps = append(r.Steps, rampStep{Failure: err.Error()})
		return r
	}
	defer srv.stop()
	ramp, err := loadgen.NewRamp(ctx, loadgen.Config{
		Addr: srv.addr, Conns: p.active, Rate: p.activeRate, Keys: 1000, GetRatio: 0.9, ValueSize: 16,
		// A busy machine can hold a probe's late requests back for seconds: they are
		// waited for, and counted, rather than breaking the active clients.
		Grace: 10 * time.Second,
	})
	if err != nil {
		r.Steps = append(r.Steps, rampStep{Failure: err.Error()})
		return r
	}
	defer ramp.Close()
	for _, target := range append([]int{0}, p.rampSteps...) {
		if limit, ok := rampLimit[mode]; ok && target > limit {
			break
		}
		step := rampStep{Target: target}
		start := time.Now()
		growErr := ramp.Grow(ctx, target)
		step.GrowSeconds = time.Since(start).Seconds()
		step.Held, step.Waiting, step.Refused = ramp.Idle(), ramp.Waiting(), ramp.Refused()
		if crash := srv.crash(); crash != "" || growErr != nil {
			step.Failure = crash
			if crash == "" {
				step.Failure = growErr.Error()
			}
			logf("ramp %-13s %6d idle: %s", mode, target, step.Failure)
			r.Steps = append(r.Steps, step)
			return r
		}
		probeStep(ctx, p, srv, ramp, &step)
		logf("ramp %-13s %6d idle: held %5d (waiting %d)  processes %d  threads %5d  RSS %7.1f MiB  CPU %3.0f%%  p99 %7.0fµs  errors %d  others %3.0f%% (%d tries) %s",
			mode, target, step.Held, step.Waiting, step.Processes, step.Threads, float64(step.RSSKiB)/1024, step.CPU, step.P99us, step.Errors, step.Others, step.Attempts, step.Failure)
		r.Steps = append(r.Steps, step)
		if step.Failure != "" {
			return r
		}
	}
	return r
}

// probeStep samples the server holding its idle connections, then lets the active clients
// measure it, counting the server's CPU time over the probe. A probe the rest of the machine
// disturbed is repeated, as a throughput run is, and the quietest kept.
func probeStep(ctx context.Context, p plan, srv *server, ramp *loadgen.Ramp, step *rampStep) {
	before, err := sampleServer(srv.pid())
	if err != nil {
		step.Failure = err.Error()
		return
	}
	step.Threads, step.FDs, step.RSSKiB, step.Processes = before.threads, before.fds, before.rssKiB, before.processes
	step.KernelStack = kernelStackKiB()
	best := math.Inf(1)
	for attempt := 1; attempt <= maxAttempts && ctx.Err() == nil; attempt++ {
		if attempt > 1 && !p.rampRepeats.allow(p.probe) {
			return
		}
		before, _ := sampleServer(srv.pid())
		gen, busy := selfCPUSeconds(), machineBusySeconds()
		start := time.Now()
		res := ramp.Probe(ctx, p.probe)
		// The probe lasts its window and then the drain of late requests: CPU is shared out
		// over all of it.
		secs := time.Since(start).Seconds()
		after, err := sampleServer(srv.pid())
		if err != nil {
			step.Failure = srv.crash()
			return
		}
		if res.Requests == 0 && res.Err != nil {
			step.Failure = "no answer: " + res.Err.Error()
			return
		}
		serverCPU := after.cpuSeconds - before.cpuSeconds
		others := 100 * ((machineBusySeconds() - busy) - serverCPU - (selfCPUSeconds() - gen)) / secs
		if others < best {
			best = others
			step.CPU = 100 * serverCPU / secs
			step.PerSecond, step.Intended = res.PerSecond(), res.Intended()
			step.P50us, step.P99us, step.P999us = micros(res.P50), micros(res.P99), micros(res.P999)
			step.Errors = res.Errors
			step.Others = max(0, others)
		}
		step.Attempts = attempt
		if crash := srv.crash(); crash != "" {
			step.Failure = crash
			return
		}
		if others <= quietEnough {
			return
		}
	}
}
