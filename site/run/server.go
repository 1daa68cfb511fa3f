package run

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"flavors/code/kv"
	"flavors/internal/proc"
)

// A Server is one bin/MODE process of a run, from exec to reap.
type Server struct {
	rn   *Run
	proc *proc.Process
	addr string

	stderrLines int         // lines of standard error passed on so far
	crash       crashReport // what it said as it died, if it crashed

	mu      sync.Mutex
	claimed bool          // end, kill or watch has taken charge of ending it
	ended   chan struct{} // closed once it is reaped and its last status is out
	sampler *sampler
}

// Addr is where the server listens, from its "listening on" line.
func (sv *Server) Addr() string { return sv.addr }

// startServer starts cmd. Its standard output is only the contract's one line, which
// awaitListening reads; anything else there is not the contract's and is left out.
func startServer(rn *Run, cmd *exec.Cmd) (*Server, error) {
	sv := &Server{rn: rn, ended: make(chan struct{})}
	p, err := proc.Start(cmd, nil, sv.onStderr)
	if err != nil {
		return nil, err
	}
	sv.proc = p
	go sv.watch()
	return sv, nil
}

// maxStderrLines bounds what one server may put on the page: a Go server that dies with
// ten thousand goroutines prints a stack for each, and the first lines say what happened.
const maxStderrLines = 400

// onStderr streams the server's own words; the counters of a readiness loop become a loop
// event (with the line), so the page can draw them. (proc calls it from one goroutine, in
// order.)
func (sv *Server) onStderr(line string) {
	if l, ok := parseLoopStats(line); ok {
		sv.rn.emit(Event{Type: "loop", Loop: &l, Text: line})
		return
	}
	sv.mu.Lock()
	sv.crash.add(line)
	sv.mu.Unlock()
	sv.stderrLines++
	switch {
	case sv.stderrLines < maxStderrLines:
		sv.rn.emit(Event{Type: "stderr", Text: line})
	case sv.stderrLines == maxStderrLines:
		sv.rn.emit(Event{Type: "stderr", Text: fmt.Sprintf("… (the rest of its standard error is left out: the page shows %d lines)", maxStderrLines-1)})
	}
}

func (sv *Server) awaitListening(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, listenTimeout,
		fmt.Errorf("the server printed no listening line within %s", listenTimeout))
	defer cancel()
	line, err := sv.proc.FirstLine(ctx)
	if errors.Is(err, proc.ErrExited) {
		return errors.New("the server exited before it printed its listening line (see its standard error above)")
	}
	if err != nil {
		return err
	}
	sv.addr, err = kv.ParseAnnouncement(line)
	return err
}

func (sv *Server) startSampling() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if !sv.claimed {
		sv.sampler = startSampler(sv.rn, sv.proc.Pid())
	}
}

// claim makes the caller the one who ends the server; the others wait for it.
func (sv *Server) claim() bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.claimed {
		return false
	}
	sv.claimed = true
	// Sampling stops before reap: after reap the pid may belong to someone else.
	if sv.sampler != nil {
		sv.sampler.stop()
	}
	return true
}

// watch notices a server that exits by itself (a crash, or a bug in a chapter) and ends the
// run: there is nothing left to drive.
func (sv *Server) watch() {
	<-sv.proc.Exited()
	if !sv.claim() {
		return
	}
	defer close(sv.ended)
	sv.reapAndTell() // its standard error is all read after this
	sv.mu.Lock()
	crash := sv.crash.String()
	sv.mu.Unlock()
	sv.rn.cancel(serverExited{crash})
}

// serverExited is ErrServerExited, with the crash that ended the server when there was
// one: the reason a reader should see first, not row 275 of a stack dump.
type serverExited struct{ crash string }

func (e serverExited) Error() string {
	if e.crash == "" {
		return ErrServerExited.Error()
	}
	return "the server crashed: " + e.crash
}

func (e serverExited) Is(target error) bool { return target == ErrServerExited }

// crashReport picks out of a Go program's standard error the first line of the panic or
// fatal error that killed it ("panic: …", "fatal error: …"), with the "runtime: …" line
// the runtime prints just before some fatal errors to say what went wrong ("runtime:
// program exceeds 10000-thread limit" before "fatal error: thread exhaustion"). What
// follows is the stack dump.
type crashReport struct {
	runtime, first string
}

func (c *crashReport) add(line string) {
	if c.first != "" {
		return
	}
	switch {
	case strings.HasPrefix(line, "panic: "), strings.HasPrefix(line, "fatal error: "):
		c.first = line
	case strings.HasPrefix(line, "runtime: "):
		c.runtime = line
	default:
		c.runtime = ""
	}
}

func (c *crashReport) String() string {
	if c.runtime != "" && c.first != "" {
		return c.runtime + " (" + c.first + ")"
	}
	return c.first
}

// end asks the server to exit (SIGTERM to its group), as the scenario's last step.
func (sv *Server) end() {
	if !sv.claim() {
		<-sv.ended
		return
	}
	defer close(sv.ended)
	clean, err := sv.proc.Terminate(termGrace)
	if err != nil {
		sv.rn.fail(err)
	}
	if clean {
		sv.tellExit()
		return
	}
	sv.rn.emit(Event{Type: "status", Status: "killed",
		Text: fmt.Sprintf("it did not exit within %s of SIGTERM", termGrace)})
}

// kill takes the server's whole process group down at once; reason is shown on the page.
func (sv *Server) kill(reason error) {
	if !sv.claim() {
		<-sv.ended
		return
	}
	defer close(sv.ended)
	select {
	case <-sv.proc.Exited(): // it went by itself just before
		sv.reapAndTell()
		return
	default:
	}
	if err := sv.proc.Kill(); err != nil {
		sv.rn.fail(err)
	}
	sv.rn.emit(Event{Type: "status", Status: "killed", Text: reason.Error()})
}

func (sv *Server) reapAndTell() {
	if err := sv.proc.Reap(); err != nil {
		sv.rn.fail(err)
	}
	sv.tellExit()
}

func (sv *Server) tellExit() {
	st := sv.proc.State()
	code := st.ExitCode()
	sv.rn.emit(Event{Type: "status", Status: "exited", Code: &code, Text: st.String()})
}
