package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The tests run the real site (httptest, loopback) over the real book in this repository,
// with real server processes, and look at /proc for what those left behind.

// testBin is where the tests build the servers: their own directory, so a test run never
// races a make build over bin/. Built once per test binary.
var testBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "site-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type testSite struct {
	*site
	srv *httptest.Server
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := findRoot("")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// startSite starts the site on a loopback port; it is shut down (runs reaped) at cleanup.
func startSite(t testing.TB) *testSite {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	r := newRunner(repoRoot(t))
	r.bin = testBin
	s := newSite(r, srv.Listener.Addr())
	srv.Config.Handler = s.handler()
	srv.Start()
	ts := &testSite{site: s, srv: srv}
	t.Cleanup(func() {
		s.shutdown()
		srv.Close()
	})
	return ts
}

func (ts *testSite) wsURL() string { return "ws" + strings.TrimPrefix(ts.srv.URL, "http") + "/ws" }

// socket is the test's side of one websocket, reading events in the background.
type socket struct {
	t      testing.TB
	conn   *websocket.Conn
	events chan event
	closed chan error // the read error that ended the socket
	mu     sync.Mutex
	seen   []event
}

func (ts *testSite) dial(t testing.TB) *socket {
	t.Helper()
	h := http.Header{"Origin": {ts.srv.URL}}
	conn, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), h)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", ts.wsURL(), err, resp)
	}
	s := &socket{t: t, conn: conn, events: make(chan event, 100000), closed: make(chan error, 1)}
	go s.read()
	t.Cleanup(func() { conn.Close() })
	return s
}

func (s *socket) read() {
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			s.closed <- err
			close(s.events)
			return
		}
		var e event
		if err := json.Unmarshal(data, &e); err != nil {
			s.closed <- err
			close(s.events)
			return
		}
		s.events <- e
	}
}

func (s *socket) send(m pageMessage) {
	s.t.Helper()
	if err := s.conn.WriteJSON(m); err != nil {
		s.t.Fatal(err)
	}
}

// until reads events until match says yes, and returns that event. It fails the test if the
// socket closes or nothing matches within the timeout (a hung run, not a slow one).
func (s *socket) until(timeout time.Duration, what string, match func(event) bool) event {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatalf("waiting for %s: the socket closed; events so far:\n%s", what, s.history())
			}
			s.mu.Lock()
			s.seen = append(s.seen, e)
			s.mu.Unlock()
			if match(e) {
				return e
			}
		case <-deadline.C:
			s.t.Fatalf("no %s within %s; events so far:\n%s", what, timeout, s.history())
		}
	}
}

func (s *socket) history() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, e := range s.seen {
		data, _ := json.Marshal(e)
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

func isStatus(status string) func(event) bool {
	return func(e event) bool { return e.Type == "status" && e.Status == status }
}

func isType(typ string) func(event) bool { return func(e event) bool { return e.Type == typ } }

// buildTimeout covers a cold go build of a server on a busy two-core machine.
const buildTimeout = 3 * time.Minute

// startConsoleRun starts the server of chapter alone (the console's run) and returns its pid
// once it is listening.
func (s *socket) startConsoleRun(chapter, mode string) int {
	s.t.Helper()
	s.send(pageMessage{Type: "console", Chapter: chapter, Mode: mode, Line: "get nothing"})
	return s.until(buildTimeout, "listening", isStatus("listening")).Pid
}

// children lists the processes whose parent is this test process, zombies included.
func children(t testing.TB) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if ppid, ok := parentOf(raw); ok && ppid == self {
			out = append(out, pid)
		}
	}
	return out
}

func parentOf(stat []byte) (int, bool) {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// processGroupMembers lists live or zombie processes in group pgid.
func processGroupMembers(t testing.TB, pgid int) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}

func openFDs(t testing.TB) int {
	t.Helper()
	n, _, err := countDescriptors("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond until it holds or the timeout passes; it is for state that settles
// asynchronously (a socket's far side closing), never for timing.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still not so after %s (%s)", what, timeout, state)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func noChildren(t testing.TB) func() (bool, string) {
	return func() (bool, string) {
		c := children(t)
		return len(c) == 0, fmt.Sprintf("children %v", c)
	}
}
