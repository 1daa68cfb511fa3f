// Package conformance checks a server program against the book's contract:
// every rule of the protocol, every way a client can misbehave, and the
// promises a server process makes (one line on stdout, no leaked descriptor,
// exit status 0 on SIGTERM). The appendix runs it against every server.
package conformance

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ioTimeout bounds every wait on a server: a connect, an answer, a close, an
// exit. It only ever fails a hung test; no check passes or fails by how fast
// a server is. It is long because the servers may be built with -race and
// share two cores with many other tests.
const ioTimeout = 2 * time.Minute

// Server is one running server program.
type Server struct {
	Addr string // host:port from its "listening on" line
	cmd  *exec.Cmd

	stdout outputLog
	stderr outputLog

	exited  chan struct{} // closed when the process is gone
	waitErr error         // how it ended; read after exited is closed

	mu       sync.Mutex
	stopping bool // a check signalled it, so exiting is expected
}

// Start runs bin with -addr 127.0.0.1:0 and waits for its "listening on"
// line. When the test ends, the server must still be running (unless the
// test stopped it itself) and is then killed.
func Start(t *testing.T, bin string) *Server {
	t.Helper()
	s := &Server{exited: make(chan struct{})}
	s.stdout.firstLine = make(chan string, 1)
	s.cmd = exec.Command(bin, "-addr", "127.0.0.1:0")
	// A server built with -race would otherwise linger a second in exit;
	// reports of races still turn its exit status into 66.
	s.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	s.cmd.Stdout = &s.stdout
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })
	s.Addr = s.waitForAnnouncement(t)
	return s
}

// Pid is the server's process id, for reading /proc.
func (s *Server) Pid() int {
	return s.cmd.Process.Pid
}

// waitForAnnouncement reads the contract's first line and returns the
// address in it. Until that line, connecting could be refused.
func (s *Server) waitForAnnouncement(t *testing.T) string {
	t.Helper()
	select {
	case line := <-s.stdout.firstLine:
		addr, ok := strings.CutPrefix(line, "listening on ")
		host, port, err := net.SplitHostPort(addr)
		if !ok || err != nil || host == "" || port == "0" {
			t.Fatalf("first line on stdout is %q, want \"listening on HOST:PORT\" with the real port", line)
		}
		return addr
	case <-s.exited:
		t.Fatalf("server exited before listening (%v); stderr:\n%s", s.waitErr, s.stderr.String())
	case <-time.After(ioTimeout):
		t.Fatalf("no \"listening on\" line within %v; stderr:\n%s", ioTimeout, s.stderr.String())
	}
	return ""
}

// Signal sends sig to the server, which is then expected to exit.
func (s *Server) Signal(sig os.Signal) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	return s.cmd.Process.Signal(sig)
}

// Exited waits for the server to exit and returns how it ended, or fails
// the test if it is still running after ioTimeout.
func (s *Server) Exited(t *testing.T) *os.ProcessState {
	t.Helper()
	select {
	case <-s.exited:
		return s.cmd.ProcessState
	case <-time.After(ioTimeout):
		t.Fatalf("server still running %v after the signal", ioTimeout)
		return nil
	}
}

// stop runs when the test ends. A server that exited on its own crashed or
// gave up, which no client may cause. One still running is stopped the way
// the contract says, with SIGTERM, and must exit with status 0: that is also
// how a data race in a server built with -race comes to light, as status 66.
func (s *Server) stop(t *testing.T) {
	s.mu.Lock()
	expected := s.stopping
	s.stopping = true
	s.mu.Unlock()
	select {
	case <-s.exited:
		if !expected {
			t.Errorf("server exited during the test (%v); stderr:\n%s", s.waitErr, s.Stderr())
		}
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.waitErr != nil {
			t.Errorf("server ended with %v on SIGTERM, want exit status 0; stderr:\n%s", s.waitErr, s.Stderr())
		}
	case <-time.After(ioTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("server still running %v after SIGTERM; stderr:\n%s", ioTimeout, s.Stderr())
	}
}

// Stderr is what the server has written to standard error so far, to show
// beside a failure.
func (s *Server) Stderr() string {
	return s.stderr.String()
}

// outputLog collects one output stream of the server, and hands over the
// first line as soon as it is complete.
type outputLog struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	firstLine chan string // nil for a stream whose lines nobody waits for
	sent      bool
}

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.firstLine != nil && !o.sent {
		if line, _, ok := strings.Cut(o.buf.String(), "\n"); ok {
			o.firstLine <- line
			o.sent = true
		}
	}
	return len(p), nil
}

func (o *outputLog) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// procStatus reads the named fields of /proc/PID/status, in kB.
func (s *Server) procStatus(t *testing.T, fields ...string) map[string]int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	values := make(map[string]int64)
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, _ := strings.Cut(line, ":")
		for _, f := range fields {
			if name == f {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
				values[f] = kb
			}
		}
	}
	for _, f := range fields {
		if _, ok := values[f]; !ok {
			t.Fatalf("/proc/%d/status has no %s", s.Pid(), f)
		}
	}
	return values
}

// openFiles lists the server's open descriptors and what each one is.
func (s *Server) openFiles(t *testing.T) []string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", s.Pid())
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		target, _ := os.Readlink(dir + "/" + e.Name())
		files = append(files, e.Name()+" -> "+target)
	}
	return files
}
