package main

import (
	"errors"
	"io"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A process is a child the site started (a server, or go build) in a process group of its
// own, so that one kill(-pgid) takes down it and everything it started.
//
// The trap with killing a group is pid reuse: once the leader is reaped its pid (and so the
// group id) is free, and kill(-pgid) could hit a stranger. So the site learns that the leader
// exited with waitid(WNOWAIT), which leaves it a zombie: the pid stays reserved until reap,
// and reap comes only after the last kill of the group.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the leader has exited (it is still a zombie)
	reaped bool
}

// startProcess starts cmd in a new process group. stdout and stderr get the child's output
// (Wait copies it, so they must not block for long).
func startProcess(cmd *exec.Cmd, stdout, stderr io.Writer) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// Should the site itself die without cleaning up (kill -9), its children follow.
		Pdeathsig: syscall.SIGKILL,
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// If a straggler held the output pipes open, Wait would wait for it forever.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go p.watch()
	return p, nil
}

// watch closes p.exited when the leader exits, without reaping it.
func (p *process) watch() {
	defer close(p.exited)
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// signal sends sig to the whole group. Safe until reap: the leader's pid is still ours.
func (p *process) signal(sig syscall.Signal) {
	if !p.reaped {
		_ = unix.Kill(-p.pid(), sig)
	}
}

// kill takes down the whole group at once and reaps the leader.
func (p *process) kill() error {
	p.signal(syscall.SIGKILL)
	return p.reap()
}

// terminate asks the group to exit (SIGTERM), and kills it if the leader is not gone after
// grace. It reports whether the leader went by itself.
func (p *process) terminate(grace time.Duration) (clean bool, err error) {
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		clean = true
	case <-t.C:
	}
	return clean, p.kill()
}

// reap waits for the leader to exit, kills whatever is left of its group, and collects the
// leader's exit status. Called once per process, always: that is what leaves no zombie.
func (p *process) reap() error {
	if p.reaped {
		return nil
	}
	<-p.exited
	p.signal(syscall.SIGKILL) // anything the leader left behind in its group
	p.reaped = true
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // a non-zero status is an outcome, read it from exitCode
	}
	return err
}

// exitCode is the leader's exit status after reap, or -1 if a signal ended it.
func (p *process) exitCode() int { return p.cmd.ProcessState.ExitCode() }

// exitText says how the leader ended: "exit status 0", "signal: killed".
func (p *process) exitText() string { return p.cmd.ProcessState.String() }
