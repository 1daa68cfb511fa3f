package run

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLoopStats(t *testing.T) {
	l, ok := parseLoopStats("poll=1000/s passed=100000/s (100.00/poll) ready=2000/s (2.00/poll) refused=0/s (0.00/poll)")
	if !ok || l.Unit != "poll" || l.Calls != 1000 || len(l.Per) != 3 || l.Per[0].Name != "passed" || l.Per[0].PerCall != 100 || l.Per[1].PerCall != 2 {
		t.Errorf("poll line: %+v %v", l, ok)
	}
	if l, ok := parseLoopStats("epoll_wait=0/s events=0/s"); !ok || l.Per[0].PerCall != 0 {
		// a quiet second: no per-call figure is printed, and none is made up
		if ok {
			t.Errorf("quiet epoll line: %+v", l)
		}
	}
	l, ok = parseLoopStats("loop1: conns=25 epoll_wait=100/s events=250/s (2.50/epoll_wait) opened=3/s woken=4/s")
	if !ok || l.Name != "loop1" || l.Conns != 25 || l.Unit != "epoll_wait" || l.Calls != 100 || len(l.Per) != 3 || l.Per[0].PerCall != 2.5 || l.Per[2].Name != "woken" || l.Per[2].Rate != 4 {
		t.Errorf("one loop's line: %+v %v", l, ok)
	}
	for _, line := range []string{"accept: too many open files", "listening on 127.0.0.1:1", "x=1/s trailing words", "loop0: conns=x epoll_wait=1/s", "loop0: epoll_wait=1/s"} {
		if _, ok := parseLoopStats(line); ok {
			t.Errorf("%q read as loop stats", line)
		}
	}
}

// The kernel's view of a connection: accepted once the server's accept returned it, not
// while it waits in the listen queue.
func TestAcceptedBy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, second := dial(), dial()
	served, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	if served.RemoteAddr().String() != first.LocalAddr().String() {
		t.Fatalf("accepted %s, dialled %s first", served.RemoteAddr(), first.LocalAddr())
	}
	for _, c := range []struct {
		conn net.Conn
		want bool
	}{{first, true}, {second, false}} {
		got, err := acceptedBy(c.conn.RemoteAddr().(*net.TCPAddr), c.conn.LocalAddr().(*net.TCPAddr))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: accepted %v, want %v", c.conn.LocalAddr(), got, c.want)
		}
	}
	// A connection that does not exist is not accepted, and not an error.
	gone := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	if got, err := acceptedBy(ln.Addr().(*net.TCPAddr), gone); got || err != nil {
		t.Errorf("no such connection: %v, %v", got, err)
	}
}

func TestParseConsole(t *testing.T) {
	for line, ok := range map[string]bool{
		"put k v": true, "put k two words": true, "get k": true, "  get   k  ": true,
		"get": false, "get k v": false, "put": false, "del k": false, "": false,
	} {
		if _, err := parseConsole(line); (err == nil) != ok {
			t.Errorf("parseConsole(%q): %v", line, err)
		}
	}
	m, _ := parseConsole("put k two words")
	if m.Key != "k" || m.Value != "two words" {
		t.Errorf("put parsed as %+v", m)
	}
}

func TestOptionsAreClamped(t *testing.T) {
	s := &Scenario{Clients: OptionRange{Default: 3, Min: 1, Max: 6}, Slow: true}
	got := s.Options(Options{Clients: 1 << 30, Slow: true, Conns: 5000})
	if got != (Options{Clients: 6, Slow: true}) {
		t.Errorf("options %+v", got)
	}
	if got := s.Options(Options{Clients: -4}); got.Clients != 1 {
		t.Errorf("negative clients %+v", got)
	}
	if got := s.Options(Options{}); got.Clients != 3 {
		t.Errorf("default clients %+v", got)
	}
	if got := (&Scenario{}).Options(Options{Clients: 5, Slow: true}); got != (Options{}) {
		t.Errorf("a scenario with no controls takes no options: %+v", got)
	}
}

// A build error in tangled code is shown at the chapter line that wrote it.
func TestBuildErrorsPointAtChapters(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	line := chapterLines(root)("code/blocking/main.go:3:1: syntax error", "code/blocking")
	if !strings.HasPrefix(line, "chapters/02-single-threaded-blocking.md:") {
		t.Errorf("annotated as %q", line)
	}
}

// A server that floods standard error (a crash with thousands of goroutine stacks) puts a
// bounded number of lines on the page, and says that the rest is left out.
func TestStderrIsBounded(t *testing.T) {
	var got []Event
	rn := &Run{start: time.Now(), sink: func(e Event) { got = append(got, e) }}
	sv := &Server{rn: rn}
	for range 10 * maxStderrLines {
		sv.onStderr("goroutine 1 [syscall]:")
	}
	sv.onStderr("poll=1/s passed=3/s (3.00/poll) ready=1/s (1.00/poll)")
	if len(got) != maxStderrLines+1 {
		t.Fatalf("%d events for %d lines", len(got), 10*maxStderrLines+1)
	}
	if !strings.Contains(got[maxStderrLines-1].Text, "left out") {
		t.Errorf("no word that lines were left out: %q", got[maxStderrLines-1].Text)
	}
	if got[maxStderrLines].Type != "loop" {
		t.Errorf("loop counters stopped with the flood: %+v", got[maxStderrLines])
	}
}
