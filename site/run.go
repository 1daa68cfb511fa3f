package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the Run button.
const (
	maxRuns       = 4                      // servers running at once, over all pages
	runTimeLimit  = 60 * time.Second       // a run ends after this, whatever it is doing
	listenTimeout = 15 * time.Second       // from exec to "listening on"
	sampleEvery   = 100 * time.Millisecond // /proc sampling period
	acceptEvery   = 2 * time.Millisecond   // how often a connection waiting for accept is looked for
	termGrace     = 2 * time.Second        // SIGTERM to SIGKILL (the contract says 1 s)
)

// Why a run ended early; the text goes to the page in the "killed" status.
var (
	errStopped      = errors.New("stopped by the reader")
	errPageClosed   = errors.New("the page went away")
	errTimeLimit    = fmt.Errorf("time limit (%s) reached", runTimeLimit)
	errShutdown     = errors.New("the site is shutting down")
	errServerExited = errors.New("the server exited by itself")
	errBusy         = fmt.Errorf("the site already runs %d servers at once, its limit; press Run again when one of them ends", maxRuns)
)

// runner owns every run: it enforces the limit and finds the binaries.
type runner struct {
	root      string // the repository: chapters/, code/
	bin       string // where the servers are built: root/bin
	slots     chan struct{}
	timeLimit atomic.Int64 // a run's time limit, in nanoseconds (tests shorten it)
	builds    buildLocks
	live      sync.WaitGroup
}

func newRunner(root string) *runner {
	r := &runner{root: root, bin: filepath.Join(root, "bin"), slots: make(chan struct{}, maxRuns)}
	r.timeLimit.Store(int64(runTimeLimit))
	return r
}

// A run is one press of Run: build, serve, play the scenario, clean up.
type run struct {
	rn       *runner
	mode     string
	scen     *scenario
	opts     runOptions
	ctx      context.Context
	cancel   context.CancelCauseFunc
	start    time.Time
	done     chan struct{} // closed when everything the run started is gone
	sink     func(event)
	emitMu   sync.Mutex
	lanes    laneTracker
	serversM sync.Mutex
	server   *server // the one currently serving, if any
	console  consoleState
}

// startRun starts a run of scen against mode, or refuses with errBusy. sink receives the
// events, one at a time, in order. The run ends by itself, or when parent is cancelled (its
// cause is the reason shown), or by stop.
func (r *runner) startRun(parent context.Context, mode string, scen *scenario, opts runOptions, sink func(event)) (*run, error) {
	select {
	case r.slots <- struct{}{}:
	default:
		return nil, errBusy
	}
	ctx, cancel := context.WithCancelCause(parent)
	rn := &run{
		rn: r, mode: mode, scen: scen, opts: opts,
		ctx: ctx, cancel: cancel, start: time.Now(),
		done: make(chan struct{}), sink: sink, lanes: newLaneTracker(),
	}
	r.live.Add(1)
	go rn.main()
	return rn, nil
}

// stop ends the run early for reason and returns once its processes are reaped.
func (rn *run) stop(reason error) {
	rn.cancel(reason)
	<-rn.done
}

func (rn *run) main() {
	defer rn.rn.live.Done()
	defer func() { <-rn.rn.slots }()
	defer close(rn.done)
	defer rn.cancel(nil)
	timer := time.AfterFunc(time.Duration(rn.rn.timeLimit.Load()), func() { rn.cancel(errTimeLimit) })
	defer timer.Stop()

	rn.emit(event{Type: "run", Mode: rn.mode, Scenario: rn.scen.Name, Lanes: rn.scen.Lanes(rn.opts),
		Options: &rn.opts, Scales: rn.scen.scales(rn.opts), Text: rn.scen.lesson(rn.mode)})
	if err := rn.build(); err != nil {
		rn.end(err)
		return
	}
	err := rn.scen.Play(rn.ctx, rn, rn.opts)
	rn.closeConsole()
	if sv := rn.current(); sv != nil {
		// The scenario is over, or cut short: the server goes now.
		if cause := context.Cause(rn.ctx); cause != nil {
			sv.kill(cause)
		} else {
			sv.end()
		}
	}
	rn.end(err)
}

// end is the run's last event: everything it started is gone. Its text says why it ended.
func (rn *run) end(err error) {
	if cause := context.Cause(rn.ctx); cause != nil {
		// Cut short: a "killed" status already said so, unless nobody asked for it.
		if errors.Is(cause, errServerExited) {
			rn.fail(cause)
		}
		rn.emit(event{Type: "end", Text: cause.Error()})
		return
	}
	if err != nil {
		rn.fail(err)
		rn.emit(event{Type: "end", Text: err.Error()})
		return
	}
	rn.emit(event{Type: "end", Text: "the scenario is over"})
}

func (rn *run) fail(err error) {
	rn.emit(event{Type: "status", Status: "failed", Text: err.Error()})
}

// emit stamps e with the run's clock and hands it on. One at a time, so t never goes back.
func (rn *run) emit(e event) {
	rn.emitMu.Lock()
	defer rn.emitMu.Unlock()
	e.T = float64(time.Since(rn.start).Microseconds()/100) / 10 // 0.1 ms is plenty
	rn.sink(e)
}

func (rn *run) emitClient(lane int, op, text string, ms float64) {
	rn.emit(event{Type: "client", Client: clientIndex(lane), Op: op, Text: text, Ms: roundMs(ms)})
}

func roundMs(ms float64) float64 { return float64(int64(ms*100)) / 100 }

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

func (rn *run) current() *server {
	rn.serversM.Lock()
	defer rn.serversM.Unlock()
	return rn.server
}

// serve starts bin/MODE -addr 127.0.0.1:0 with extra flags (the scenario's, never the
// page's), waits for its "listening on" line, and starts sampling it.
func (rn *run) serve(extra ...string) (*server, error) {
	bin := filepath.Join(rn.rn.bin, rn.mode)
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, extra...)...)
	cmd.Dir = rn.rn.root
	sv, err := startServer(rn, cmd)
	if err != nil {
		return nil, err
	}
	if err := sv.awaitListening(rn.ctx); err != nil {
		sv.kill(err)
		return nil, err
	}
	rn.serversM.Lock()
	rn.server = sv
	rn.serversM.Unlock()
	rn.emit(event{Type: "status", Status: "listening", Addr: sv.addr, Pid: sv.proc.pid()})
	sv.startSampling()
	return sv, nil
}

// running says the scenario has begun driving the server.
func (rn *run) running() { rn.emit(event{Type: "status", Status: "running"}) }

// note narrates the scenario on the timeline and in the log.
func (rn *run) note(format string, args ...any) {
	rn.emit(event{Type: "note", Text: fmt.Sprintf(format, args...)})
}

// pause waits d, or less if the run is cut short; it reports whether the run goes on.
func (rn *run) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rn.ctx.Done():
		return false
	}
}

// finish ends the current server cleanly (SIGTERM; its status is "exited").
func (rn *run) finish(sv *server) {
	sv.end()
	rn.serversM.Lock()
	if rn.server == sv {
		rn.server = nil
	}
	rn.serversM.Unlock()
}

// cutShort says whether the run was ended early.
func (rn *run) cutShort() bool { return rn.ctx.Err() != nil }
