package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// A server is one bin/MODE process of a run, from exec to reap.
type server struct {
	rn        *run
	proc      *process
	addr      string
	listening chan string // the address from the first "listening on" line

	stderrLines int // lines of standard error passed on so far

	mu      sync.Mutex
	claimed bool          // end, kill or watch has taken charge of ending it
	ended   chan struct{} // closed once it is reaped and its last status is out
	sampler *sampler
}

func startServer(rn *run, cmd *exec.Cmd) (*server, error) {
	sv := &server{rn: rn, listening: make(chan string, 1), ended: make(chan struct{})}
	p, err := startProcess(cmd, newLineWriter(sv.onStdout), newLineWriter(sv.onStderr))
	if err != nil {
		return nil, err
	}
	sv.proc = p
	go sv.watch()
	return sv, nil
}

// onStdout looks for the contract's one line. Anything else on stdout is not the contract's
// and is left out.
func (sv *server) onStdout(line string) {
	if addr, ok := strings.CutPrefix(line, "listening on "); ok {
		select {
		case sv.listening <- strings.TrimSpace(addr):
		default:
		}
	}
}

// maxStderrLines bounds what one server may put on the page: a Go server that dies with
// ten thousand goroutines prints a stack for each, and the first lines say what happened.
const maxStderrLines = 400

// onStderr streams the server's own words; the counters of a readiness loop become a loop
// event (with the line), so the page can draw them. (The line writer calls it from one
// goroutine, in order.)
func (sv *server) onStderr(line string) {
	if l, ok := parseLoopStats(line); ok {
		sv.rn.emit(event{Type: "loop", Loop: &l, Text: line})
		return
	}
	sv.stderrLines++
	switch {
	case sv.stderrLines < maxStderrLines:
		sv.rn.emit(event{Type: "stderr", Text: line})
	case sv.stderrLines == maxStderrLines:
		sv.rn.emit(event{Type: "stderr", Text: fmt.Sprintf("… (the rest of its standard error is left out: the page shows %d lines)", maxStderrLines-1)})
	}
}

func (sv *server) awaitListening(ctx context.Context) error {
	t := time.NewTimer(listenTimeout)
	defer t.Stop()
	select {
	case sv.addr = <-sv.listening:
		return nil
	case <-sv.proc.exited:
		return errors.New("the server exited before it printed its listening line (see its standard error above)")
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return fmt.Errorf("the server printed no listening line within %s", listenTimeout)
	}
}

func (sv *server) startSampling() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if !sv.claimed {
		sv.sampler = startSampler(sv.rn, sv.proc.pid())
	}
}

// claim makes the caller the one who ends the server; the others wait for it.
func (sv *server) claim() bool {
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
func (sv *server) watch() {
	<-sv.proc.exited
	if !sv.claim() {
		return
	}
	defer close(sv.ended)
	sv.reapAndTell()
	sv.rn.cancel(errServerExited)
}

// end asks the server to exit (SIGTERM to its group), as the scenario's last step.
func (sv *server) end() {
	if !sv.claim() {
		<-sv.ended
		return
	}
	defer close(sv.ended)
	clean, err := sv.proc.terminate(termGrace)
	if err != nil {
		sv.rn.fail(err)
	}
	if clean {
		sv.tellExit()
		return
	}
	sv.rn.emit(event{Type: "status", Status: "killed",
		Text: fmt.Sprintf("it did not exit within %s of SIGTERM", termGrace)})
}

// kill takes the server's whole process group down at once; reason is shown on the page.
func (sv *server) kill(reason error) {
	if !sv.claim() {
		<-sv.ended
		return
	}
	defer close(sv.ended)
	select {
	case <-sv.proc.exited: // it went by itself just before
		sv.reapAndTell()
		return
	default:
	}
	if err := sv.proc.kill(); err != nil {
		sv.rn.fail(err)
	}
	sv.rn.emit(event{Type: "status", Status: "killed", Text: reason.Error()})
}

func (sv *server) reapAndTell() {
	if err := sv.proc.reap(); err != nil {
		sv.rn.fail(err)
	}
	sv.tellExit()
}

func (sv *server) tellExit() {
	code := sv.proc.exitCode()
	sv.rn.emit(event{Type: "status", Status: "exited", Code: &code, Text: sv.proc.exitText()})
}
