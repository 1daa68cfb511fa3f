package main

import (
	"net"
	"sync"
	"time"
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
	wake     chan struct{}
}

type laneConn struct {
	lane           int
	client, server *net.TCPAddr
}

func newLaneTracker() laneTracker {
	return laneTracker{open: map[int]laneConn{}, reported: map[int]bool{}, wake: make(chan struct{}, 1)}
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
func (lt *laneTracker) check(rn *run) (waiting bool, err error) {
	for _, c := range lt.unaccepted() {
		ok, err := acceptedBy(c.server, c.client)
		if err != nil {
			return false, err
		}
		if !ok {
			waiting = true
			continue
		}
		lt.mu.Lock()
		_, open := lt.open[c.client.Port]
		first := open && !lt.reported[c.client.Port]
		lt.reported[c.client.Port] = true
		lt.mu.Unlock()
		if first {
			rn.emitClient(c.lane, "accepted", "", 0)
		}
	}
	return waiting, nil
}

// request reports one request of lane: send, then waiting if it takes a while, then the
// response (or an error). do performs it and says what the answer was.
func (rn *run) request(lane int, what string, do func() (string, error)) (string, error) {
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
		if !rn.cutShort() { // a request cut short by Stop is not the client's error
			rn.emitClient(lane, "error", err.Error(), msSince(sent))
		}
		return "", err
	}
	rn.emitClient(lane, "response", answer, msSince(sent))
	return answer, nil
}
