package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A server is one server process under test, started pinned to a CPU.
type server struct {
	mode   string
	cmd    *exec.Cmd
	addr   string
	stderr *headBuffer
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// startServer runs bin -addr 127.0.0.1:0 (plus args) under taskset when cpu >= 0, in its own
// process group, and waits for its "listening on" line.
func startServer(mode, bin string, cpu int, args ...string) (*server, error) {
	if unpinned(mode) {
		cpu = -1
	}
	argv := append([]string{bin, "-addr", "127.0.0.1:0"}, args...)
	if cpu >= 0 {
		// taskset execs the server in its own place, so the PID is the server's. Go sizes
		// GOMAXPROCS from the CPU affinity it starts with: one CPU, one P.
		argv = append([]string{"taskset", "-c", fmt.Sprint(cpu)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &server{mode: mode, cmd: cmd, stderr: &headBuffer{max: 4096}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	live.add(s)
	lines := bufio.NewReader(stdout)
	addrc := make(chan string, 1)
	go func() {
		line, _ := lines.ReadString('\n')
		addrc <- strings.TrimSpace(line)
		io.Copy(io.Discard, lines)
	}()
	go func() {
		s.err = cmd.Wait()
		live.remove(s)
		close(s.exited)
	}()
	select {
	case line := <-addrc:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			s.stop()
			return nil, fmt.Errorf("%s: first line %q, stderr: %s", mode, line, s.stderr)
		}
		s.addr = addr
		return s, nil
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s: no listening line in 10s", mode)
	}
}

// serverGOMAXPROCS, if not zero, is given to every server: an experiment (-gomaxprocs), not
// the benchmark's method.
var serverGOMAXPROCS int

// serverEnv is this process's environment without the variables that would change how a
// Go server schedules itself: the benchmark decides that with CPU affinity alone.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOMAXPROCS=") || strings.HasPrefix(kv, "GODEBUG=") || strings.HasPrefix(kv, "GOGC=") {
			continue
		}
		env = append(env, kv)
	}
	if serverGOMAXPROCS > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", serverGOMAXPROCS))
	}
	return env
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the server's process group, and SIGKILL if it has not exited after
// two seconds (the contract gives it one).
func (s *server) stop() {
	if !s.alive() {
		return
	}
	syscall.Kill(-s.pid(), syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(2 * time.Second):
		syscall.Kill(-s.pid(), syscall.SIGKILL)
		<-s.exited
	}
}

// crash describes how the server died, or is "" if it is alive or was stopped by us.
func (s *server) crash() string {
	if s.alive() {
		return ""
	}
	var exit *exec.ExitError
	if errors.As(s.err, &exit) && exit.ExitCode() == 0 {
		return ""
	}
	return fmt.Sprintf("exited (%v): %s", s.err, firstFatalLine(s.stderr.String()))
}

// firstFatalLine picks the line of a Go crash that says what happened.
func firstFatalLine(stderr string) string {
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "runtime:") || strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") {
			return strings.TrimSpace(line)
		}
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return lines[len(lines)-1]
}

// headBuffer keeps the first max bytes written to it: a crashing Go program says why at the
// top of its trace, then dumps thousands of goroutines.
type headBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - len(t.buf); room > 0 {
		t.buf = append(t.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// live holds the servers running, so an interrupted benchmark leaves none behind.
var live = &serverSet{m: map[*server]bool{}}

type serverSet struct {
	mu sync.Mutex
	m  map[*server]bool
}

func (l *serverSet) add(s *server)    { l.mu.Lock(); l.m[s] = true; l.mu.Unlock() }
func (l *serverSet) remove(s *server) { l.mu.Lock(); delete(l.m, s); l.mu.Unlock() }

func (l *serverSet) killAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.m {
		syscall.Kill(-s.pid(), syscall.SIGKILL)
	}
}
