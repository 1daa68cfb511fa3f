package run

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"flavors/internal/proc"
)

// waitingAfter is when a request without an answer gets a "waiting" event: long enough that
// a served request never gets one, short enough that a reader sees the wait as it happens.
const waitingAfter = 250 * time.Millisecond

// laneTracker knows each lane's open connection, so that it can tell when the server
// accepts it (an "accepted" event), which for a blocking server can be seconds after the
// kernel completed the handshake.
//
// A connection waiting to be accepted is looked for every acceptEvery (one netlink lookup,
// microseconds), so the moment shows where it happened on the timeline.
type laneTracker struct {
	mu       sync.Mutex
	open     map[int]laneConn // by the client's local port
	reported map[int]bool     // ports whose "accepted" event is out
	unowned  map[int]uint32   // accepted, owner not yet told: the server's socket inode, by port
	wake     chan struct{}
}

type laneConn struct {
	lane           int
	client, server *net.TCPAddr
}

func newLaneTracker() laneTracker {
	return laneTracker{open: map[int]laneConn{}, reported: map[int]bool{}, unowned: map[int]uint32{}, wake: make(chan struct{}, 1)}
}

// connected records lane's new connection and wakes the sampler to look for it.
func (lt *laneTracker) connected(lane int, conn net.Conn) {
	client, server := conn.LocalAddr().(*net.TCPAddr), conn.RemoteAddr().(*net.TCPAddr)
	lt.mu.Lock()
	lt.open[client.Port] = laneConn{lane: lane, client: client, server: server}
	lt.mu.Unlock()
	select {
	case lt.wake <- struct{}{}:
	default:
	}
}

// closed forgets a connection the client hung up.
func (lt *laneTracker) closed(port int) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	delete(lt.open, port)
	delete(lt.unowned, port)
}

// unaccepted lists the open connections not seen accepted yet.
func (lt *laneTracker) unaccepted() []laneConn {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	var out []laneConn
	for port, c := range lt.open {
		if !lt.reported[port] {
			out = append(out, c)
		}
	}
	return out
}

// check asks the kernel about every connection not seen accepted yet, reports those the
// server now holds, and says whether any is still waiting.
func (lt *laneTracker) check(rn *Run) (waiting bool, err error) {
	for _, c := range lt.unaccepted() {
		ino, err := serverInode(c.server, c.client)
		if err != nil {
			return false, err
		}
		if ino == 0 {
			waiting = true
			continue
		}
		lt.mu.Lock()
		_, open := lt.open[c.client.Port]
		first := open && !lt.reported[c.client.Port]
		lt.reported[c.client.Port] = true
		if first {
			lt.unowned[c.client.Port] = ino
		}
		lt.mu.Unlock()
		if first {
			rn.emitClient(c.lane, "accepted", "", 0)
		}
	}
	return waiting, nil
}

// findOwners tells, for each accepted connection whose owner is not told yet, which of the
// server's event loops owns it (an "owner" event, the loop's thread name as text), for
// servers that run many named loops (Scenario.Loops). /proc says it in two steps: which
// epoll instance watches the connection's descriptor, and which thread is asleep in that
// instance. A connection handed to a loop but not yet added to its instance, or a loop busy
// at that moment, is looked for again on the next sample.
func (lt *laneTracker) findOwners(rn *Run, pid int) {
	lt.mu.Lock()
	pending := make(map[int]uint32, len(lt.unowned))
	for port, ino := range lt.unowned {
		pending[port] = ino
	}
	lt.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	fds, err := proc.Descriptors(pid)
	if err != nil {
		return
	}
	watched, err := proc.EpollWatched(pid)
	if err != nil {
		return
	}
	waiting := proc.Waiting(pid)
	for port, ino := range pending {
		owner := ""
		for _, d := range fds {
			if d.Target == fmt.Sprintf("socket:[%d]", ino) {
				if epfd, ok := watched[d.FD]; ok {
					owner = waiting[epfd]
				}
			}
		}
		if owner == "" {
			continue
		}
		lt.mu.Lock()
		c, open := lt.open[port]
		_, still := lt.unowned[port]
		delete(lt.unowned, port)
		lt.mu.Unlock()
		if open && still {
			rn.emitClient(c.lane, "owner", owner, 0)
		}
	}
}

// A Lane is one client of a scenario, drawn as one lane of the timeline: its connection's
// life (connect, connected, accepted by the server, hung up) and its requests.
type Lane struct {
	rn      *Run
	index   int
	Conn    net.Conn
	port    int // local
	release func() bool
}

// Dial opens lane's TCP connection to addr and reports connect and connected. The
// connection is the run's own, so the run knows its local port (to see when the server
// accepts it) and closes it the moment the run is cut short (a client blocked in read would
// otherwise wait for a server that is gone).
func (rn *Run) Dial(lane int, addr string) (*Lane, error) {
	rn.emitClient(lane, "connect", addr, 0)
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(rn.ctx, "tcp", addr)
	if err != nil {
		if !rn.CutShort() {
			rn.emitClient(lane, "error", err.Error(), 0)
		}
		return nil, err
	}
	rn.emitClient(lane, "connected", "", msSince(start))
	rn.lanes.connected(lane, conn)
	return &Lane{rn: rn, index: lane, Conn: conn, port: conn.LocalAddr().(*net.TCPAddr).Port,
		release: context.AfterFunc(rn.ctx, func() { conn.Close() })}, nil
}

// Request reports one request of the lane: send, then waiting if it takes a while, then the
// response (or an error). do performs it and says what the answer was.
func (l *Lane) Request(what string, do func() (string, error)) (string, error) {
	return l.rn.Request(l.index, what, do)
}

// Request is Lane.Request for a lane whose requests outlive its connections (a client
// that reconnects and sends again what was not answered).
func (rn *Run) Request(lane int, what string, do func() (string, error)) (string, error) {
	sent := time.Now()
	rn.emitClient(lane, "send", what, 0)
	var mu sync.Mutex
	answered := false
	waiting := time.AfterFunc(waitingAfter, func() {
		mu.Lock()
		defer mu.Unlock()
		if !answered {
			rn.emitClient(lane, "waiting", "no answer yet", msSince(sent))
		}
	})
	answer, err := do()
	mu.Lock()
	answered = true
	waiting.Stop()
	mu.Unlock()
	if err != nil {
		if !rn.CutShort() { // a request cut short by Stop is not the client's error
			rn.emitClient(lane, "error", err.Error(), msSince(sent))
		}
		return "", err
	}
	rn.emitClient(lane, "response", answer, msSince(sent))
	return answer, nil
}

// HangUp closes the lane's connection. The event goes out before the socket closes: what the
// server does next, such as serving the client that waited for this one, must never appear
// to come first.
func (l *Lane) HangUp() {
	l.release()
	if !l.rn.CutShort() {
		l.rn.emitClient(l.index, "close", "", 0)
	}
	l.close()
}

// close closes the lane's connection without a word: its lane already said why (an error).
func (l *Lane) close() {
	l.release()
	l.Conn.Close()
	l.rn.lanes.closed(l.port)
}

// OpenQuietly opens n connections that never speak, without an event for each (there may
// be thousands: the gauges tell the story).
func (rn *Run) OpenQuietly(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, max(n, 0))
	var d net.Dialer
	for range n {
		c, err := d.DialContext(rn.ctx, "tcp", addr)
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}
