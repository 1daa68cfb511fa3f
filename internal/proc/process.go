// Package proc runs a program the way the book's site, its benchmark and its conformance
// suite all need to: in a process group of its own, its output read line by line, its first
// line of standard output awaited (a server's "listening on" announcement), its figures read
// from /proc, and stopped and reaped without ever signalling a stranger.
//
// It knows nothing of the book's protocol: what the first line means is kv.ParseAnnouncement's
// business.
package proc

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Process is a child started by Start, in a process group of its own, so that one
// kill(-pgid) takes down it and everything it started.
//
// The trap with killing a group is pid reuse: once the leader is reaped its pid (and so the
// group id) is free, and kill(-pgid) could hit a stranger. So a Process learns that the
// leader exited without reaping it (waitid with WNOWAIT on Linux, kqueue's NOTE_EXIT on
// the BSDs), which leaves it a zombie: the pid stays reserved until Reap, and Reap comes
// only after the last signal to the group.
type Process struct {
	cmd       *exec.Cmd
	exited    chan struct{}   // closed when the leader has exited (it is still a zombie)
	firstLine chan string     // the first line of standard output, once
	outputs   []chan struct{} // closed when standard output, standard error end

	mu     sync.Mutex
	reaped bool

	reapOnce sync.Once
	reapErr  error
}

// ErrExited says the program exited before it printed a line on standard output.
var ErrExited = errors.New("the program exited before printing its first line")

// outputGrace is how long the output of a program that has exited may take to end: more
// than enough for the kernel to hand over what is in a pipe, and a bound on a straggler
// outside the group that holds the pipe open.
const outputGrace = time.Second

// Start starts cmd in a new process group. Each line the program writes to standard output
// goes to stdout, each line to standard error to stderr (either may be nil: dropped), one
// call at a time per stream, cut at MaxLine. The functions must not block for long: the
// program may block on its output meanwhile.
//
// On Linux, should this process die without stopping it (kill -9), the child is killed
// too.
func Start(cmd *exec.Cmd, stdout, stderr func(line string)) (*Process, error) {
	p := &Process{cmd: cmd, exited: make(chan struct{}), firstLine: make(chan string, 1)}
	first := true
	onStdout := func(line string) {
		if first {
			first = false
			p.firstLine <- line
		}
		if stdout != nil {
			stdout(line)
		}
	}
	cmd.SysProcAttr = groupLeader()
	// Our own pipes, read by our own goroutines, so that the end of the output is seen: a
	// line written just before the program exits is still read before FirstLine gives up.
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for _, o := range []struct {
		pipe    io.Reader
		forLine func(string)
	}{{outPipe, onStdout}, {errPipe, stderr}} {
		done := make(chan struct{})
		p.outputs = append(p.outputs, done)
		go func() {
			defer close(done)
			w := newLineWriter(o.forLine)
			_, _ = io.Copy(w, o.pipe)
			w.flush()
		}()
	}
	go p.watch()
	return p, nil
}

// watch closes p.exited when the leader exits, without reaping it.
func (p *Process) watch() {
	defer close(p.exited)
	awaitExit(p.Pid())
}

// Pid is the leader's process id, which is also the group's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the leader has exited. Its pid stays reserved until Reap.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// FirstLine waits for the first line of standard output. It fails with ErrExited if the
// program ends its output, or exits, without one; or with ctx's cause.
func (p *Process) FirstLine(ctx context.Context) (string, error) {
	var grace <-chan time.Time
	exited := p.exited
	for {
		select {
		case line := <-p.firstLine:
			return line, nil
		case <-p.outputs[0]:
			// The reader hands the line over before it ends.
			select {
			case line := <-p.firstLine:
				return line, nil
			default:
				return "", ErrExited
			}
		case <-exited:
			// What it wrote before exiting is still in the pipe.
			exited, grace = nil, time.After(outputGrace)
		case <-grace:
			return "", ErrExited
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
}

// Signal sends sig to the whole group. After Reap it does nothing: the group's id may
// belong to someone else by then.
func (p *Process) Signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reaped {
		_ = unix.Kill(-p.Pid(), sig)
	}
}

// Kill takes down the whole group at once and reaps the leader.
func (p *Process) Kill() error {
	p.Signal(syscall.SIGKILL)
	return p.Reap()
}

// Terminate asks the group to exit (SIGTERM), and kills it if the leader is not gone after
// grace. It reports whether the leader went by itself.
func (p *Process) Terminate(grace time.Duration) (clean bool, err error) {
	p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		clean = true
	case <-t.C:
	}
	return clean, p.Kill()
}

// Reap waits for the leader to exit, kills whatever is left of its group, collects the
// leader's exit status and the last of its output. Every Process must be reaped once (more
// calls are harmless): that is what leaves no zombie. A non-zero exit status is not an
// error; read it from State.
func (p *Process) Reap() error {
	p.reapOnce.Do(func() {
		<-p.exited
		p.mu.Lock()
		_ = unix.Kill(-p.Pid(), syscall.SIGKILL) // anything the leader left behind in its group
		p.reaped = true
		p.mu.Unlock()
		// The group is gone, so its output ends; Wait closes the pipes, so read them first.
		timeout := time.After(outputGrace)
		for _, done := range p.outputs {
			select {
			case <-done:
			case <-timeout:
			}
		}
		err := p.cmd.Wait()
		for _, done := range p.outputs {
			<-done // Wait closed the pipe, if a straggler still held it
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			p.reapErr = err
		}
	})
	return p.reapErr
}

// State is how the leader ended; nil before Reap.
func (p *Process) State() *os.ProcessState { return p.cmd.ProcessState }
