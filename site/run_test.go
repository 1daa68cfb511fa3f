package main

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"flavors/internal/proc"
	"flavors/site/run"
)

// A run of blocking with two clients, A slow: A is accepted and served; B connects (the
// kernel completes the handshake), sends, and is left waiting until A hangs up; only then
// is B answered. The server exits cleanly at the end and the run says it is over.
func TestRunBlockingTwoClients(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.send(pageMessage{Type: "run", Chapter: "02-single-threaded-blocking", Mode: "blocking",
		Options: run.Options{Clients: 2, Slow: true}})

	head := s.until(10*time.Second, "run header", isType("run"))
	if head.Mode != "blocking" || len(head.Lanes) != 2 || head.Cores == 0 {
		t.Fatalf("run header: %+v", head)
	}
	s.until(buildTimeout, "built", isStatus("built"))
	listening := s.until(time.Minute, "listening", isStatus("listening"))
	if listening.Pid == 0 || !strings.HasPrefix(listening.Addr, "127.0.0.1:") {
		t.Fatalf("listening: %+v", listening)
	}
	s.until(10*time.Second, "running", isStatus("running"))

	// Collect client events until the run's end, in order.
	type step struct {
		lane int
		op   string
	}
	var steps []step
	var stats, exited int
	end := s.until(time.Minute, "end", func(e run.Event) bool {
		switch e.Type {
		case "client":
			steps = append(steps, step{*e.Client, e.Op})
		case "stats":
			stats++
		case "status":
			if e.Status == "exited" && e.Code != nil && *e.Code == 0 {
				exited++
			}
		}
		return e.Type == "end"
	})
	if end.Text != "the scenario is over" || end.Status != run.EndFinished {
		t.Fatalf("run ended %s with %q\n%s", end.Status, end.Text, s.history())
	}
	if exited != 1 {
		t.Errorf("want one clean exit of the server, got %d", exited)
	}
	if stats == 0 {
		t.Error("no stats sampled from /proc")
	}
	at := func(lane int, op string, nth int) int {
		seen := 0
		for i, s := range steps {
			if s.lane == lane && s.op == op {
				if seen == nth {
					return i
				}
				seen++
			}
		}
		t.Fatalf("lane %d never did %s #%d; steps %v", lane, op, nth, steps)
		return -1
	}
	const A, B = 0, 1
	for _, want := range []struct {
		before, after step
	}{
		{step{A, "connect"}, step{B, "connect"}},  // A comes first
		{step{A, "accepted"}, step{B, "connect"}}, // and the server takes it
		{step{B, "connected"}, step{B, "send"}},   // B's handshake is done by the kernel
		{step{B, "send"}, step{B, "waiting"}},     // B's request goes unanswered
		{step{B, "waiting"}, step{A, "close"}},    // for as long as A stays
		{step{A, "close"}, step{B, "response"}},   // and is answered only after A leaves
	} {
		if b, a := at(want.before.lane, want.before.op, 0), at(want.after.lane, want.after.op, 0); b > a {
			t.Errorf("lane %d %s (#%d) came after lane %d %s (#%d)\n%s", want.before.lane, want.before.op, b,
				want.after.lane, want.after.op, a, s.history())
		}
	}
	// The server accepts B only once A is gone (B may be served and gone before the site
	// looks, so its accepted event may be missing, but never early).
	for i, st := range steps {
		if st.lane == B && st.op == "accepted" && i < at(A, "close", 0) {
			t.Errorf("B was seen accepted (#%d) while A was still connected\n%s", i, s.history())
		}
	}
	eventually(t, 10*time.Second, "no child process left", noChildren)
}

// Stop kills the server's whole process group and reaps it: nothing of it is left in
// /proc, not even a zombie.
func TestStopKillsProcessGroup(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	pid := s.startQuietRun()
	if members := proc.GroupMembers(pid); len(members) != 1 || members[0] != pid {
		t.Fatalf("the server should lead its own process group: members %v", members)
	}
	s.send(pageMessage{Type: "stop"})
	killed := s.until(10*time.Second, "killed", isStatus("killed"))
	if killed.Text != run.ErrStopped.Error() {
		t.Errorf("killed because %q", killed.Text)
	}
	if end := s.until(10*time.Second, "end", isType("end")); end.Status != run.EndStopped {
		t.Errorf("a stopped run ends %q", end.Status)
	}
	// The end event comes after the reap, so this holds at once.
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid %d still in /proc after Stop: %v", pid, err)
	}
	if m := proc.GroupMembers(pid); len(m) != 0 {
		t.Errorf("process group %d still has %v", pid, m)
	}
	if c := children(); len(c) != 0 {
		t.Errorf("children left: %v", c)
	}
}

// A page that goes away without a word (a closed tab) takes its run with it.
func TestClosedSocketLeavesNoProcess(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	pid := s.startQuietRun()
	s.conn.NetConn().Close() // no close frame: the tab is just gone
	eventually(t, 10*time.Second, "server reaped", func() (bool, string) {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return errors.Is(err, os.ErrNotExist), "pid " + strconv.Itoa(pid)
	})
	eventually(t, 10*time.Second, "no child process left", noChildren)
}

// The site runs at most run.MaxRuns servers at once; one more is refused with a clear message,
// and the refusal starts nothing.
func TestFifthRunRefused(t *testing.T) {
	ts := startSite(t)
	var socks []*socket
	for range run.MaxRuns {
		s := ts.dial(t)
		s.startQuietRun()
		socks = append(socks, s)
	}
	before := len(children())
	extra := ts.dial(t)
	extra.send(pageMessage{Type: "run", Chapter: "02-single-threaded-blocking", Mode: "blocking"})
	refusal := extra.until(10*time.Second, "refusal", isType("error"))
	if refusal.Text != run.ErrBusy.Error() {
		t.Errorf("refusal says %q", refusal.Text)
	}
	if after := len(children()); after != before {
		t.Errorf("children went from %d to %d after a refused run", before, after)
	}
	// Once one run ends, a new one may start.
	socks[0].send(pageMessage{Type: "stop"})
	socks[0].until(10*time.Second, "end", isType("end"))
	extra.startQuietRun()
}

// A run that reaches its time limit is killed, group and all.
func TestTimeLimit(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.startQuietRun() // builds, if need be, under the full limit
	s.send(pageMessage{Type: "stop"})
	s.until(10*time.Second, "end", isType("end"))

	ts.runner.SetTimeLimit(200 * time.Millisecond)
	pid := s.startQuietRun()
	killed := s.until(10*time.Second, "killed", isStatus("killed"))
	if killed.Text != run.ErrTimeLimit.Error() {
		t.Errorf("killed because %q", killed.Text)
	}
	if end := s.until(10*time.Second, "end", isType("end")); end.Status != run.EndStopped {
		t.Errorf("a run cut by its time limit ends %q", end.Status)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid %d outlived its time limit", pid)
	}
}

// A message over 4 KiB closes the socket (and would end its run).
func TestLargeMessageClosesSocket(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	big := pageMessage{Type: "console", Line: strings.Repeat("x", maxMessage)}
	s.send(big)
	select {
	case err := <-s.closed:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("socket ended with %v, want close 1009 (message too big)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the socket stayed open after a 4 KiB message")
	}
}

// Only the book's own modes run, and only on the chapters that offer them.
func TestRefusesWhatTheBookDoesNotOffer(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	for _, m := range []pageMessage{
		{Type: "run", Chapter: "02-single-threaded-blocking", Mode: "../../bin/sh"},
		{Type: "run", Chapter: "02-single-threaded-blocking", Mode: "epoll"}, // a mode, but not this chapter's
		{Type: "run", Chapter: "13-mentions"},                                // nothing to run
		{Type: "run", Chapter: "no-such-chapter"},
		{Type: "launch"},
	} {
		s.send(m)
		e := s.until(10*time.Second, "refusal", func(e run.Event) bool { return e.Type == "error" || e.Type == "run" })
		if e.Type != "error" {
			t.Errorf("%+v started a run", m)
		}
	}
	if c := children(); len(c) != 0 {
		t.Errorf("children: %v", c)
	}
}

// The console is a client of the current run. With no run going it says so and starts
// nothing. During a run its connection is a lane of its own, named "console" (after the
// scenario's lanes), each command a request there with its round trip; the console shows
// the real frames both ways, in hex.
func TestConsole(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.send(pageMessage{Type: "console", Line: "get greeting"})
	none := s.until(10*time.Second, "console answer", isType("console"))
	if none.Error != run.ErrNoRun.Error() || none.Req != "" {
		t.Fatalf("a console command with no run: %+v", none)
	}
	if c := children(); len(c) != 0 {
		t.Fatalf("a console command with no run started %v", c)
	}

	s.startQuietRun()
	s.send(pageMessage{Type: "console", Line: "get greeting"})
	lane := s.until(10*time.Second, "the console's lane", isType("lane"))
	if lane.Text != "console" || lane.Client == nil || *lane.Client != 3 { // c10k has three lanes
		t.Fatalf("the console's lane: %+v", lane)
	}
	first := s.until(10*time.Second, "console answer", isType("console"))
	if first.Error != "" || !strings.Contains(first.RespText, "GetResponse") || !strings.Contains(first.RespText, "NotOk") || first.Ms <= 0 {
		t.Fatalf("get of a missing key: %+v", first)
	}
	var ops []string
	for _, e := range s.seenEvents() {
		if e.Type == "client" && *e.Client == *lane.Client {
			ops = append(ops, e.Op)
			if e.Op == "response" && e.Ms <= 0 {
				t.Errorf("the lane's response shows no round trip: %+v", e)
			}
		}
	}
	want := []string{"connect", "connected", "send", "response", "close"}
	for _, op := range ops {
		if len(want) > 0 && op == want[0] {
			want = want[1:]
		}
	}
	if len(want) > 0 {
		t.Errorf("the console's lane did %q: no %q in that order", ops, want)
	}
	s.send(pageMessage{Type: "console", Line: "put greeting hello world"})
	put := s.until(10*time.Second, "console answer", isType("console"))
	if !strings.HasPrefix(put.Req, "00 00 00 ") || !strings.Contains(put.RespText, "PutOrUpdate") {
		t.Fatalf("put: %+v", put)
	}
	s.send(pageMessage{Type: "console", Line: "get greeting"})
	get := s.until(10*time.Second, "console answer", isType("console"))
	if !strings.Contains(get.RespText, `"hello world"`) || !strings.Contains(get.RespText, "status: Ok") {
		t.Fatalf("get: %+v", get)
	}
	s.send(pageMessage{Type: "console", Line: "delete greeting"})
	bad := s.until(10*time.Second, "console answer", isType("console"))
	if bad.Error == "" || bad.Req != "" {
		t.Fatalf("a bad command went out: %+v", bad)
	}
}

// On the blocking server, the console waits its turn like any client: a get sent while the
// slow client A holds the server is answered only once A hangs up, and its round trip says
// so. A keeps its connection three seconds, so the wait is well over a second: that is the
// scenario's property, not a bound on the site's speed.
func TestConsoleWaitsBehindTheSlowClient(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.send(pageMessage{Type: "run", Chapter: "02-single-threaded-blocking", Mode: "blocking",
		Options: run.Options{Clients: 2, Slow: true}})
	s.until(buildTimeout, "the slow client holds the server", func(e run.Event) bool {
		return e.Type == "note" && strings.HasPrefix(e.Text, "A, the slow client")
	})
	s.send(pageMessage{Type: "console", Line: "get k0"})
	get := s.until(time.Minute, "console answer", isType("console"))
	if get.Error != "" || !strings.Contains(get.RespText, `"v0"`) || get.Ms < 1000 {
		t.Fatalf("the console's get behind the slow client: %+v\n%s", get, s.history())
	}
	for _, e := range s.seenEvents() {
		if e.Type == "client" && *e.Client == 2 && e.Op == "response" && e.Ms < 1000 {
			t.Errorf("the console's lane shows %v ms, the console %v ms", e.Ms, get.Ms)
		}
	}
	s.until(time.Minute, "end", isType("end"))
}

// Shutting the site down kills and reaps every run and says goodbye with a close frame.
func TestShutdownEndsRuns(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	pid := s.startQuietRun()
	ts.shutdown()
	killed := s.until(10*time.Second, "killed", isStatus("killed"))
	if killed.Text != run.ErrShutdown.Error() {
		t.Errorf("killed because %q", killed.Text)
	}
	select {
	case err := <-s.closed:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("socket ended with %v, want a going-away close frame", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no close frame after shutdown")
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid %d survived shutdown", pid)
	}
}

// After 100 run/stop cycles and 20 pages closed mid-run, the site has no child left and its
// descriptor count is back where it started.
func TestNoLeaksAfterManyRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("100 runs")
	}
	ts := startSite(t)
	warm := ts.dial(t)
	warm.startQuietRun() // builds the binary once
	warm.send(pageMessage{Type: "stop"})
	warm.until(10*time.Second, "end", isType("end"))
	warm.conn.Close()
	eventually(t, 10*time.Second, "warm-up socket closed", func() (bool, string) {
		return ts.sessions.count() == 0, "sessions open"
	})
	fds := openFDs(t)

	s := ts.dial(t)
	for i := range 100 {
		s.send(quietRun)
		s.until(time.Minute, "listening #"+strconv.Itoa(i), isStatus("listening"))
		s.send(pageMessage{Type: "stop"})
		s.until(10*time.Second, "end #"+strconv.Itoa(i), isType("end"))
	}
	s.conn.Close()
	for range 20 {
		c := ts.dial(t)
		c.startQuietRun()
		c.conn.NetConn().Close()
	}
	eventually(t, 20*time.Second, "no child process left", noChildren)
	eventually(t, 20*time.Second, "descriptors back to where they were", func() (bool, string) {
		n := openFDs(t)
		return n <= fds, "open " + strconv.Itoa(n) + ", at start " + strconv.Itoa(fds)
	})
}

// Requests that do not name the site itself are refused (DNS rebinding).
func TestHostRefused(t *testing.T) {
	ts := startSite(t)
	for _, host := range []string{"evil.example", "evil.example:" + ts.port(), "127.0.0.1:1", "attacker.localhost:" + ts.port()} {
		req, _ := http.NewRequest("GET", ts.srv.URL+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Host %q: status %d, want 403", host, resp.StatusCode)
		}
	}
	for _, host := range []string{"127.0.0.1:" + ts.port(), "localhost:" + ts.port()} {
		req, _ := http.NewRequest("GET", ts.srv.URL+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Host %q: status %d, want 200", host, resp.StatusCode)
		}
	}
}

// The websocket upgrade is refused without an Origin, and from any origin but the site's.
func TestOriginRefused(t *testing.T) {
	ts := startSite(t)
	for _, origin := range []string{"", "http://evil.example", "http://127.0.0.1:1", "https://" + ts.srv.Listener.Addr().String(), "null"} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		conn, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), h)
		if err == nil {
			conn.Close()
			t.Errorf("origin %q: upgraded", origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v, want 403", origin, resp)
		}
	}
	// localhost is the site too, when it is the Host the page was loaded from.
	h := http.Header{"Origin": {"http://localhost:" + ts.port()}}
	d := websocket.Dialer{NetDialContext: nil}
	url := "ws://localhost:" + ts.port() + "/ws"
	conn, _, err := d.Dial(url, h)
	if err != nil {
		t.Fatalf("same-origin upgrade via localhost refused: %v", err)
	}
	conn.Close()
}

func (ts *testSite) port() string {
	_, port, _ := strings.Cut(ts.srv.Listener.Addr().String(), ":")
	return port
}

// The durable chapter's "kill -9 and restart": pressed once a put is answered, it kills the
// server with SIGKILL, starts it again on the same directory, and every answered put is
// read back.
func TestDurableCrashButton(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.send(pageMessage{Type: "run", Chapter: "10-work-that-blocks", Mode: "durable",
		Options: run.Options{SlowDisk: 20}})
	head := s.until(10*time.Second, "run header", isType("run"))
	if head.Options == nil || head.Options.SlowDisk != 20 {
		t.Fatalf("run header options: %+v", head.Options)
	}
	s.until(buildTimeout, "running", isStatus("running"))
	s.until(time.Minute, "a put answered", func(e run.Event) bool {
		return e.Type == "client" && *e.Client < 2 && e.Op == "response"
	})
	s.send(pageMessage{Type: "crash"})
	s.until(time.Minute, "the reader's kill -9", func(e run.Event) bool {
		return e.Type == "note" && e.Text == "kill -9, pressed by the reader"
	})
	s.until(time.Minute, "killed", isStatus("killed"))
	s.until(time.Minute, "listening again", isStatus("listening"))
	back := s.until(time.Minute, "the read-back", func(e run.Event) bool {
		return e.Type == "note" && strings.Contains(e.Text, "answered puts")
	})
	if !strings.HasPrefix(back.Text, "all ") || strings.HasPrefix(back.Text, "all 0 ") {
		t.Fatalf("after the restart: %q\n%s", back.Text, s.history())
	}
	if end := s.until(time.Minute, "end", isType("end")); end.Text != "the scenario is over" {
		t.Fatalf("run ended with %q\n%s", end.Text, s.history())
	}
}

// A server that dies by itself fails the run: a "failed" status, and an end saying so.
func TestServerDeathFailsRun(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	pid := s.startQuietRun()
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	end := s.until(10*time.Second, "end", isType("end"))
	if end.Status != run.EndFailed || end.Text != run.ErrServerExited.Error() {
		t.Errorf("a run whose server died ends %q: %q\n%s", end.Status, end.Text, s.history())
	}
}

// The Reliable delivery scenario: the reader's "rst" goes to the proxy and is answered by it
// (no frame for the server); the scheduled cuts break connections, the clients make new
// ones; at the end every client's value is checked, and checks out.
func TestRunDelivery(t *testing.T) {
	ts := startSite(t)
	s := ts.dial(t)
	s.send(pageMessage{Type: "run", Chapter: "12-reliable-delivery", Mode: "epoll", Options: run.Options{Clients: 2}})
	s.until(buildTimeout, "built", isStatus("built"))
	s.until(time.Minute, "running", isStatus("running"))
	s.send(pageMessage{Type: "console", Line: "rst"})
	cut := s.until(10*time.Second, "console answer", isType("console"))
	if cut.Error != "" || cut.Req != "" || !strings.HasPrefix(cut.RespText, "the proxy cut") {
		t.Fatalf("rst in the console: %+v", cut)
	}
	connects := 0
	var verdicts []string
	end := s.until(time.Minute, "end", func(e run.Event) bool {
		if e.Type == "client" && e.Op == "connect" {
			connects++
		}
		if e.Type == "note" && strings.Contains(e.Text, "the value:") {
			verdicts = append(verdicts, e.Text)
		}
		return e.Type == "end"
	})
	if end.Text != "the scenario is over" || len(verdicts) != 2 {
		t.Fatalf("run ended with %q and %d verdicts\n%s", end.Text, len(verdicts), s.history())
	}
	for _, v := range verdicts {
		if !strings.HasSuffix(v, "every number once, in order") {
			t.Errorf("verdict: %s", v)
		}
	}
	if connects < 3 {
		t.Errorf("%d connections for 2 clients: the wire was never cut", connects)
	}
	eventually(t, 10*time.Second, "no child process left", noChildren)
}
