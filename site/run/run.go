package run

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the Run button.
const (
	MaxRuns       = 4                      // servers running at once, over all pages
	runTimeLimit  = 60 * time.Second       // a run ends after this, whatever it is doing
	listenTimeout = 15 * time.Second       // from exec to "listening on"
	sampleEvery   = 100 * time.Millisecond // /proc sampling period
	acceptEvery   = 2 * time.Millisecond   // how often a connection waiting for accept is looked for
	termGrace     = 2 * time.Second        // SIGTERM to SIGKILL (the contract says 1 s)
)

// Why a run ended early; the text goes to the page in the "killed" status.
var (
	ErrStopped      = errors.New("stopped by the reader")
	ErrPageClosed   = errors.New("the page went away")
	ErrTimeLimit    = fmt.Errorf("time limit (%s) reached", runTimeLimit)
	ErrShutdown     = errors.New("the site is shutting down")
	ErrServerExited = errors.New("the server exited by itself")
	ErrBusy         = fmt.Errorf("the site already runs %d servers at once, its limit; press Run again when one of them ends", MaxRuns)
)

// A Scenario is what a chapter's Run button plays against its server, chosen so the
// chapter's lesson shows on the page. The chapter's front matter names it.
type Scenario struct {
	Name string
	// The reader's controls; a zero Max means the control is not offered.
	Clients OptionRange
	Conns   OptionRange
	Presets []Preset // settings worth one click: a server and a number of connections
	Slow    bool     // the "one slow client" switch is offered (and on by default)
	// SlowDisk: the durable server's "slow disk", in milliseconds per sync.
	SlowDisk OptionRange
	// Crash: the "kill -9 and restart" button is offered while the run goes on.
	Crash bool
	// Console: its servers speak the book's protocol, so the reader's console can talk to them.
	Console bool
	// Loops: the server runs many event loops, each on a thread it named after itself; the
	// run tells which loop owns each lane's connection, and each loop's CPU.
	Loops bool
	Lanes func(opts Options) []string
	Play  func(ctx context.Context, rn *Run, opts Options) error
}

// A Preset sets the reader's controls to a run worth seeing, such as the one where a server
// meets its limit; Label says what happens in it.
type Preset struct {
	Label string
	Mode  string // "" leaves the server as chosen
	Conns int
}

// An OptionRange is a number the reader may set: its default and bounds.
type OptionRange struct{ Default, Min, Max int }

func (r OptionRange) clamp(v int) int {
	switch {
	case r.Max == 0:
		return 0
	case v == 0:
		return r.Default
	}
	return max(r.Min, min(v, r.Max))
}

// Options checks and clamps what the page asked for; nothing else of it is used.
func (s *Scenario) Options(asked Options) Options {
	return Options{
		Clients:  s.Clients.clamp(asked.Clients),
		Slow:     s.Slow && asked.Slow,
		Conns:    s.Conns.clamp(asked.Conns),
		SlowDisk: s.SlowDisk.clamp(asked.SlowDisk),
	}
}

// A Spec is what to run: a scenario on a mode, with the reader's options, and the
// chapter's sentence on what to watch.
type Spec struct {
	Mode     string
	Scenario *Scenario
	Options  Options // as the scenario clamped them
	Watch    string
}

// Runner owns every run: it enforces the limit and finds the binaries.
type Runner struct {
	root      string // the repository: chapters/, code/
	bin       string // where the servers are built: root/bin
	slots     chan struct{}
	timeLimit atomic.Int64 // a run's time limit, in nanoseconds (tests shorten it)
	builds    buildLocks
	fds       fdBudget
	live      sync.WaitGroup
}

// NewRunner runs the servers of the repository at root, built into bin.
func NewRunner(root, bin string) *Runner {
	r := &Runner{root: root, bin: bin, slots: make(chan struct{}, MaxRuns), fds: fdBudget{limit: processFDLimit()}}
	r.timeLimit.Store(int64(runTimeLimit))
	return r
}

// SetTimeLimit changes how long a run may last (tests shorten it).
func (r *Runner) SetTimeLimit(d time.Duration) { r.timeLimit.Store(int64(d)) }

// Wait returns once every run has ended and everything it started is reaped.
func (r *Runner) Wait() { r.live.Wait() }

// A Run is one press of Run: build, serve, play the scenario, clean up.
type Run struct {
	rn       *Runner
	spec     Spec
	ctx      context.Context
	cancel   context.CancelCauseFunc
	start    time.Time
	done     chan struct{} // closed when everything the run started is gone
	sink     func(Event)
	emitMu   sync.Mutex
	lanes    laneTracker
	serversM sync.Mutex
	server   *Server // the one currently serving, if any
	console  consoleState
	crashes  chan struct{} // the reader pressed "kill -9 and restart"
	fds      int           // the site's descriptors this run reserved
	held     atomic.Int64  // client connections the server held at the last sample

	commandsM sync.Mutex
	commands  func(line string) (answer string, ok bool) // the scenario's own console words
}

// Start starts a run, or refuses with ErrBusy, or with the reason the site's descriptors
// would not hold it. sink receives the events, one at a time, in order. The run ends by
// itself, or when parent is cancelled (its cause is the reason shown), or by Stop.
func (r *Runner) Start(parent context.Context, spec Spec, sink func(Event)) (*Run, error) {
	select {
	case r.slots <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	fds := spec.Scenario.descriptors(spec.Options)
	if err := r.fds.reserve(fds); err != nil {
		<-r.slots
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(parent)
	rn := &Run{
		rn: r, spec: spec, ctx: ctx, cancel: cancel, start: time.Now(),
		done: make(chan struct{}), sink: sink, lanes: newLaneTracker(),
		crashes: make(chan struct{}, 1), fds: fds,
	}
	rn.console.lane = len(spec.Scenario.Lanes(spec.Options)) // the console's lane comes after the scenario's
	r.live.Add(1)
	go rn.main()
	return rn, nil
}

// Stop ends the run early for reason and returns once its processes are reaped.
func (rn *Run) Stop(reason error) {
	rn.cancel(reason)
	<-rn.done
}

// Done is closed once the run is over and everything it started is reaped.
func (rn *Run) Done() <-chan struct{} { return rn.done }

func (rn *Run) main() {
	defer rn.rn.live.Done()
	defer close(rn.done)
	// Before done: whoever saw the run end may start the next at once.
	defer func() { <-rn.rn.slots }()
	defer rn.rn.fds.release(rn.fds)
	defer rn.cancel(nil)
	timer := time.AfterFunc(time.Duration(rn.rn.timeLimit.Load()), func() { rn.cancel(ErrTimeLimit) })
	defer timer.Stop()

	s, opts := rn.spec.Scenario, rn.spec.Options
	rn.emit(Event{Type: "run", Mode: rn.spec.Mode, Scenario: s.Name, Lanes: s.Lanes(opts),
		Options: &opts, Cores: runtime.NumCPU(), Text: rn.spec.Watch})
	if err := rn.build(); err != nil {
		rn.end(err)
		return
	}
	err := s.Play(rn.ctx, rn, opts)
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

// end is the run's last event: everything it started is gone. Its status says how the run
// ended (Ending), its text why.
func (rn *Run) end(err error) {
	if cause := context.Cause(rn.ctx); cause != nil {
		// Cut short: a "killed" status already said so, unless nobody asked for it.
		if errors.Is(cause, ErrServerExited) {
			rn.fail(cause)
			rn.emit(Event{Type: "end", Status: EndFailed, Text: cause.Error()})
			return
		}
		rn.emit(Event{Type: "end", Status: EndStopped, Text: cause.Error()})
		return
	}
	if err != nil {
		rn.fail(err)
		rn.emit(Event{Type: "end", Status: EndFailed, Text: err.Error()})
		return
	}
	rn.emit(Event{Type: "end", Status: EndFinished, Text: "the scenario is over"})
}

// How a run ended, the status of its end event: the page's badge says it.
const (
	EndFinished = "finished" // the scenario played to its end
	EndStopped  = "stopped"  // cut short from outside: the reader, the time limit, a closed page, the site going down
	EndFailed   = "failed"   // the run could not go on, or the server died by itself
)

func (rn *Run) fail(err error) {
	rn.emit(Event{Type: "status", Status: "failed", Text: err.Error()})
}

// emit stamps e with the run's clock and hands it on. One at a time, so t never goes back.
func (rn *Run) emit(e Event) {
	rn.emitMu.Lock()
	defer rn.emitMu.Unlock()
	e.T = float64(time.Since(rn.start).Microseconds()/100) / 10 // 0.1 ms is plenty
	rn.sink(e)
}

func (rn *Run) emitClient(lane int, op, text string, ms float64) {
	rn.emit(Event{Type: "client", Client: &lane, Op: op, Text: text, Ms: roundMs(ms)})
}

func roundMs(ms float64) float64 { return float64(int64(ms*100)) / 100 }

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

func (rn *Run) current() *Server {
	rn.serversM.Lock()
	defer rn.serversM.Unlock()
	return rn.server
}

// Serve starts bin/MODE -addr 127.0.0.1:0 with extra flags (the scenario's, never the
// page's), waits for its "listening on" line, and starts sampling it.
func (rn *Run) Serve(extra ...string) (*Server, error) {
	bin := filepath.Join(rn.rn.bin, rn.spec.Mode)
	args := append([]string{"-addr", "127.0.0.1:0"}, extra...)
	rn.emit(Event{Type: "status", Status: "starting", Text: "bin/" + rn.spec.Mode + " " + strings.Join(args, " ")})
	cmd := exec.Command(bin, args...)
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
	rn.emit(Event{Type: "status", Status: "listening", Addr: sv.addr, Pid: sv.proc.Pid()})
	sv.startSampling()
	return sv, nil
}

// Running says the scenario has begun driving the server.
func (rn *Run) Running() { rn.emit(Event{Type: "status", Status: "running"}) }

// Held is how many client connections the server held at its last sample (every
// sampleEvery): accepted, not merely completed by the kernel.
func (rn *Run) Held() int { return int(rn.held.Load()) }

// Note narrates the scenario on the timeline and in the log.
func (rn *Run) Note(format string, args ...any) {
	rn.emit(Event{Type: "note", Text: fmt.Sprintf(format, args...)})
}

// Pause waits d, or less if the run is cut short; it reports whether the run goes on.
func (rn *Run) Pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rn.ctx.Done():
		return false
	}
}

// Finish ends the current server cleanly (SIGTERM; its status is "exited").
func (rn *Run) Finish(sv *Server) {
	sv.end()
	rn.serversM.Lock()
	if rn.server == sv {
		rn.server = nil
	}
	rn.serversM.Unlock()
}

// Crash passes on the reader's "kill -9 and restart" to the scenario, which hears it on
// Crashes. A press while the last one is still waiting adds nothing.
func (rn *Run) Crash() {
	select {
	case rn.crashes <- struct{}{}:
	default:
	}
}

// Crashes is where a scenario that offers the button hears it pressed.
func (rn *Run) Crashes() <-chan struct{} { return rn.crashes }

// Kill ends the current server with SIGKILL, as kill -9 would: no chance to clean up. why
// is shown with its "killed" status.
func (rn *Run) Kill(sv *Server, why string) {
	sv.kill(errors.New(why))
	rn.serversM.Lock()
	if rn.server == sv {
		rn.server = nil
	}
	rn.serversM.Unlock()
}

// CutShort says whether the run was ended early.
// Mode is the server the run plays its scenario on.
func (rn *Run) Mode() string { return rn.spec.Mode }

func (rn *Run) CutShort() bool { return rn.ctx.Err() != nil }
