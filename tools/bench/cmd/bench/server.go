package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"flavors/code/kv"
	"flavors/internal/proc"
)

// A server is one server process under test, started pinned to a CPU.
type server struct {
	mode   string
	proc   *proc.Process
	addr   string
	stderr *headLines
}

// startServer runs bin -addr 127.0.0.1:0 (plus args) under taskset when cpu >= 0, in its own
// process group, and waits for its "listening on" line.
func startServer(mode, bin string, cpu int, args ...string) (*server, error) {
	argv := append(onCPUs(mode, cpu), append([]string{bin, "-addr", "127.0.0.1:0"}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = serverEnv()
	s := &server{mode: mode, stderr: &headLines{max: 4096}}
	p, err := proc.Start(cmd, nil, s.stderr.add)
	if err != nil {
		return nil, err
	}
	s.proc = p
	live.add(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	line, err := p.FirstLine(ctx)
	if err == nil {
		s.addr, err = kv.ParseAnnouncement(line)
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %v; stderr: %s", mode, err, s.stderr)
	}
	return s, nil
}

// onCPUs is the taskset prefix that puts a mode's server on its CPUs: cpu, or, for a mode
// that runs unpinned, every CPU of the machine. The second is not a no-op: the benchmark
// itself runs pinned to the generator's CPU (pinSelf), and a child inherits its parent's
// CPU affinity, so a server started without taskset would be confined to the generator's
// CPU, with one P. taskset execs the server in its own place, so the PID is the server's.
// Go sizes GOMAXPROCS from the CPU affinity it starts with: one CPU, one P.
func onCPUs(mode string, cpu int) []string {
	switch {
	case unpinned(mode) && machineCPUs() > 1:
		return []string{"taskset", "-c", fmt.Sprintf("0-%d", machineCPUs()-1)}
	case unpinned(mode) || cpu < 0:
		return nil
	}
	return []string{"taskset", "-c", fmt.Sprint(cpu)}
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

func (s *server) pid() int { return s.proc.Pid() }

// stop sends SIGTERM to the server's process group, and SIGKILL if it has not exited after
// two seconds (the contract gives it one).
func (s *server) stop() {
	_, _ = s.proc.Terminate(2 * time.Second)
	live.remove(s)
}

// crash describes how the server died, or is "" if it is alive or was stopped by us.
func (s *server) crash() string {
	select {
	case <-s.proc.Exited():
	default:
		return ""
	}
	if err := s.proc.Reap(); err != nil {
		return fmt.Sprintf("exited (%v)", err)
	}
	if st := s.proc.State(); !st.Success() {
		return fmt.Sprintf("exited (%v): %s", st, firstFatalLine(s.stderr.String()))
	}
	return ""
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

// headLines keeps the first max bytes of lines: a crashing Go program says why at the top
// of its trace, then dumps thousands of goroutines.
type headLines struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (h *headLines) add(line string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.buf); room > 0 {
		line += "\n"
		h.buf = append(h.buf, line[:min(room, len(line))]...)
	}
}

func (h *headLines) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return string(h.buf)
}

// live holds the servers running, so an interrupted benchmark leaves none behind.
var live = &serverSet{m: map[*server]bool{}}

type serverSet struct {
	mu sync.Mutex
	m  map[*server]bool
}

func (l *serverSet) add(s *server)    { l.mu.Lock(); l.m[s] = true; l.mu.Unlock() }
func (l *serverSet) remove(s *server) { l.mu.Lock(); delete(l.m, s); l.mu.Unlock() }

// killAll kills every server still running. The process keeps each group's id reserved
// until it is reaped, so this never signals a stranger.
func (l *serverSet) killAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.m {
		s.proc.Signal(syscall.SIGKILL)
	}
}
