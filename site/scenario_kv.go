package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"flavors/code/kv"
)

// kvPlan is the one key-value scenario, tuned per chapter. Every client connects, puts a
// key, reads it back, stays connected for a while, and hangs up. The slow client A connects
// first and keeps its connection for slowFor, asking for its key once a second: a reader
// thinking at a prompt.
type kvPlan struct {
	quietStart time.Duration // the server alone before anyone connects
	idleConns  int           // connections that never say a word, opened before the clients
	stagger    time.Duration // between two clients' connects
	hold       time.Duration // how long a client stays connected after its answers
	slowFor    time.Duration // how long the slow client keeps its connection
	quietEnd   time.Duration // everyone gone, the server still up
	flags      []string      // extra server flags
}

func (p kvPlan) play(ctx context.Context, rn *run, opts runOptions) error {
	sv, err := rn.serve(p.flags...)
	if err != nil {
		return err
	}
	rn.running()
	if p.quietStart > 0 {
		rn.note("the server is alone for %s: no client yet", p.quietStart)
		if !rn.pause(p.quietStart) {
			return nil
		}
	}
	idle, err := rn.openIdle(sv.addr, p.idleConns)
	defer closeAll(idle)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for lane := range opts.Clients {
		slow := opts.Slow && lane == 0
		start := time.Duration(lane) * p.stagger
		if opts.Slow && lane > 0 {
			start += p.stagger // the others come once A is in
		}
		wg.Go(func() { p.client(rn, sv.addr, lane, slow, start) })
	}
	wg.Wait()
	if rn.cutShort() {
		return nil
	}
	if len(idle) > 0 {
		rn.note("the %d idle connections hang up", len(idle))
		closeAll(idle)
		idle = nil
	}
	if p.quietEnd > 0 {
		rn.note("every client is gone; the server waits")
		rn.pause(p.quietEnd)
	}
	rn.finish(sv)
	return nil
}

// client is one lane: connect, put, get, stay a while, hang up.
func (p kvPlan) client(rn *run, addr string, lane int, slow bool, start time.Duration) {
	if !rn.pause(start) {
		return
	}
	c, err := rn.dialKV(lane, addr)
	if err != nil {
		return
	}
	defer c.close()
	key := fmt.Sprintf("k%d", lane)
	if err := c.put(key, fmt.Sprintf("v%d", lane)); err != nil {
		return
	}
	if slow {
		rn.note("A, the slow client, keeps its connection for %s, asking once a second", p.slowFor)
		for deadline := time.Now().Add(p.slowFor); time.Now().Before(deadline); {
			if !rn.pause(time.Second) || c.get(key) != nil {
				return
			}
		}
		return
	}
	if c.get(key) != nil {
		return
	}
	if p.hold > 0 {
		rn.pause(p.hold)
	}
}

// A laneClient is the book's own client on one lane of the timeline.
type laneClient struct {
	rn      *run
	lane    int
	port    int // local
	kv      *kv.Client
	release func() bool
}

// dialKV connects lane to addr. The connection is the scenario's own, so the site knows its
// local port (to see when the server accepts it) and can close it the moment the run is cut
// short (a client blocked in read would otherwise wait for a server that is gone).
func (rn *run) dialKV(lane int, addr string) (*laneClient, error) {
	conn, err := rn.dial(lane, addr)
	if err != nil {
		return nil, err
	}
	return &laneClient{rn: rn, lane: lane, port: localPort(conn), kv: kv.NewClient(conn),
		release: context.AfterFunc(rn.ctx, func() { conn.Close() })}, nil
}

// dial opens lane's TCP connection and reports connect and connected.
func (rn *run) dial(lane int, addr string) (net.Conn, error) {
	rn.emitClient(lane, "connect", addr, 0)
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(rn.ctx, "tcp", addr)
	if err != nil {
		if !rn.cutShort() {
			rn.emitClient(lane, "error", err.Error(), 0)
		}
		return nil, err
	}
	rn.emitClient(lane, "connected", "", msSince(start))
	rn.lanes.connected(lane, conn)
	return conn, nil
}

func localPort(c net.Conn) int { return c.LocalAddr().(*net.TCPAddr).Port }

func (c *laneClient) put(key, value string) error {
	_, err := c.rn.request(c.lane, "put "+key+" "+value, func() (string, error) {
		if err := c.kv.Put(key, value); err != nil {
			return "", err
		}
		return "ok", nil
	})
	return err
}

func (c *laneClient) get(key string) error {
	_, err := c.rn.request(c.lane, "get "+key, func() (string, error) {
		v, err := c.kv.Get(key)
		if errors.Is(err, kv.ErrNotFound) {
			return "not found", nil
		}
		return v, err
	})
	return err
}

func (c *laneClient) close() {
	c.release()
	// The event goes out before the socket closes: what the server does next, such as
	// serving the client that waited for this one, must never appear to come first.
	if !c.rn.cutShort() {
		c.rn.emitClient(c.lane, "close", "", 0)
	}
	c.kv.Close()
	c.rn.lanes.closed(c.port)
}

// openIdle opens n connections that never send anything: the crowd a readiness call must
// look through to find the few clients that talk.
func (rn *run) openIdle(addr string, n int) ([]net.Conn, error) {
	if n == 0 {
		return nil, nil
	}
	rn.note("%d idle connections open and stay silent", n)
	return rn.openQuietly(addr, n)
}

// openQuietly opens n connections that never speak, without an event for each (there may
// be thousands: the gauges tell the story).
func (rn *run) openQuietly(addr string, n int) ([]net.Conn, error) {
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

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

func kvLanes(opts runOptions) []string { return laneNames(opts.Clients, opts.Slow) }

func init() {
	addScenario(&scenario{
		Name: "blocking",
		Lessons: map[string]string{"": "One thread serves one connection from its first byte to its last. " +
			"While A stays connected, B and C are connected (the kernel did the handshake) but never accepted: " +
			"their requests wait until A hangs up."},
		Clients: optionRange{Default: 3, Min: 1, Max: 6},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			stagger: 300 * time.Millisecond, slowFor: 3 * time.Second, quietEnd: 500 * time.Millisecond,
		}.play,
	})
	addScenario(&scenario{
		Name: "threaded",
		Lessons: map[string]string{
			"threaded": "Every connection gets its own thread, blocked in read(2) while its client is quiet: " +
				"all clients are served at once, and the threads gauge climbs with the connections.",
			"gonet": "The same service, written with Go's net package: goroutines park on the runtime's " +
				"netpoller (epoll) instead of holding threads, so the threads gauge stays flat.",
		},
		Clients: optionRange{Default: 8, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			stagger: 200 * time.Millisecond, hold: 2 * time.Second, slowFor: 3 * time.Second,
			quietEnd: 500 * time.Millisecond,
		}.play,
	})
	addScenario(&scenario{
		Name: "busywait",
		Lessons: map[string]string{"": "One thread tries accept and read on every descriptor, over and over, " +
			"whether or not anything is there: the CPU gauge sits near 100% before the first client and after the last."},
		Clients: optionRange{Default: 4, Min: 1, Max: 8},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			quietStart: 1500 * time.Millisecond, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: 1500 * time.Millisecond, flags: []string{"-stats"},
		}.play,
	})
	selectPoll := kvPlan{
		idleConns: 100, stagger: 200 * time.Millisecond, hold: 1500 * time.Millisecond,
		slowFor: 3 * time.Second, quietEnd: 500 * time.Millisecond, flags: []string{"-stats"},
	}
	addScenario(&scenario{
		Name: "select",
		Lessons: map[string]string{"": "The kernel now says which descriptors are ready, but each call passes " +
			"every descriptor in and the server scans them all: compare descriptors passed per call with the few that are ready."},
		Clients: optionRange{Default: 4, Min: 1, Max: 8},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play:    selectPoll.play,
	})
	addScenario(&scenario{
		Name: "epoll",
		Lessons: map[string]string{"": "The kernel keeps the interest list and returns only ready descriptors: " +
			"a hundred idle connections cost nothing, one thread serves everyone, and the CPU is near zero while they are quiet."},
		Clients: optionRange{Default: 6, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			idleConns: 100, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: time.Second, flags: []string{"-stats"},
		}.play,
	})
	addScenario(&scenario{
		Name: "uring",
		Lessons: map[string]string{"": "The server hands the kernel its receives and sends and reaps their completions: " +
			"watch submissions and completions per io_uring_enter climb as clients join, one system call carrying many requests. " +
			"Where the kernel refuses io_uring, the server says so in one line and exits."},
		Clients: optionRange{Default: 6, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			idleConns: 100, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: time.Second, flags: []string{"-stats"},
		}.play,
	})
}
