package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"flavors/internal/proc"
	"flavors/site/run"
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
	root := repoRoot(t)
	s := newSite(root, run.NewRunner(root, testBin), srv.Listener.Addr())
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
	events chan run.Event
	closed chan error // the read error that ended the socket
	mu     sync.Mutex
	seen   []run.Event
}

func (ts *testSite) dial(t testing.TB) *socket {
	t.Helper()
	h := http.Header{"Origin": {ts.srv.URL}}
	conn, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), h)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", ts.wsURL(), err, resp)
	}
	s := &socket{t: t, conn: conn, events: make(chan run.Event, 100000), closed: make(chan error, 1)}
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
		var e run.Event
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
func (s *socket) until(timeout time.Duration, what string, match func(run.Event) bool) run.Event {
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

// seenEvents are the events until has read so far.
func (s *socket) seenEvents() []run.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]run.Event(nil), s.seen...)
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

func isStatus(status string) func(run.Event) bool {
	return func(e run.Event) bool { return e.Type == "status" && e.Status == status }
}

func isType(typ string) func(run.Event) bool { return func(e run.Event) bool { return e.Type == typ } }

// buildTimeout covers a cold go build of a server on a busy two-core machine.
const buildTimeout = 3 * time.Minute

// quietRun is a run whose server stays up for a while with little going on: c10k's
// scenario at its fewest connections, on epoll, ramps for ten seconds and holds for three.
var quietRun = pageMessage{Type: "run", Chapter: "04-c10k", Mode: "epoll", Options: run.Options{Conns: 100}}

// startQuietRun starts quietRun and returns its server's pid once it is listening.
func (s *socket) startQuietRun() int {
	s.t.Helper()
	s.send(quietRun)
	return s.until(buildTimeout, "listening", isStatus("listening")).Pid
}

// children lists the processes whose parent is this test process, zombies included.
func children() []int { return proc.Children(os.Getpid()) }

func openFDs(t testing.TB) int {
	t.Helper()
	fds, err := proc.Descriptors(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
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

func noChildren() (bool, string) {
	c := children()
	return len(c) == 0, fmt.Sprintf("children %v", c)
}
