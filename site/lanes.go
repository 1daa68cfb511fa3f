package main

import (
	"sync"
	"time"
)

// waitingAfter is when a request without an answer gets a "waiting" event: long enough that
// a served request never gets one, short enough that a reader sees the wait as it happens.
const waitingAfter = 250 * time.Millisecond

// laneTracker maps each client's local port to its lane, so that the sampler's view of the
// server's connections becomes "accepted" events for the right lanes.
//
// A connection waiting to be accepted is watched closely (every acceptEvery), so that the
// moment the server takes it shows where it happened, not up to a stats period later.
type laneTracker struct {
	mu       sync.Mutex
	byPort   map[int]int  // client's local port → lane, while the connection is open
	reported map[int]bool // ports whose "accepted" event is out
	wake     chan struct{}
}

func newLaneTracker() laneTracker { return laneTracker{wake: make(chan struct{}, 1)} }

// connected records that lane's connection uses local port, and wakes the sampler to look
// for it.
func (lt *laneTracker) connected(lane, port int) {
	lt.mu.Lock()
	if lt.byPort == nil {
		lt.byPort, lt.reported = map[int]int{}, map[int]bool{}
	}
	lt.byPort[port] = lane
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
	delete(lt.byPort, port)
}

// waiting says whether an open connection has not been seen accepted yet.
func (lt *laneTracker) waiting() bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for port := range lt.byPort {
		if !lt.reported[port] {
			return true
		}
	}
	return false
}

// accepted reports, once per connection, the lanes whose connection the server now holds.
func (lt *laneTracker) accepted(rn *run, peers map[int]bool) {
	lt.mu.Lock()
	var lanes []int
	for port := range peers {
		if lane, ok := lt.byPort[port]; ok && !lt.reported[port] {
			lt.reported[port] = true
			lanes = append(lanes, lane)
		}
	}
	lt.mu.Unlock()
	for _, lane := range lanes {
		rn.emitClient(lane, "accepted", "", 0)
	}
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
