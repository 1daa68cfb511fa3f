package scenario

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"flavors/code/kv"
	"flavors/site/run"
)

// kvPlan is the one key-value scenario, tuned per chapter. Every client connects, puts a
// key, reads it back, stays connected for a while, and hangs up. The slow client A connects
// first and keeps its connection for slowFor, asking for its key once a second: a reader
// thinking at a prompt.
type kvPlan struct {
	quietStart time.Duration       // the server alone before anyone connects
	idleConns  int                 // connections that never say a word, opened before the clients, held to the end
	stagger    time.Duration       // between two clients' connects
	hold       time.Duration       // how long a client stays connected after its answers
	slowFor    time.Duration       // how long the slow client keeps its connection
	quietEnd   time.Duration       // every client gone (the idle connections stay), the server still up
	flags      []string            // extra server flags
	modeFlags  map[string][]string // more flags, for one mode only
}

func (p kvPlan) play(ctx context.Context, rn *run.Run, opts run.Options) error {
	sv, err := rn.Serve(append(slices.Clone(p.flags), p.modeFlags[rn.Mode()]...)...)
	if err != nil {
		return err
	}
	rn.Running()
	if p.quietStart > 0 {
		rn.Note("the server is alone for %s: no client yet", p.quietStart)
		if !rn.Pause(p.quietStart) {
			return nil
		}
	}
	idle, err := openIdle(rn, sv.Addr(), p.idleConns)
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
		wg.Go(func() { p.client(rn, sv.Addr(), lane, slow, start) })
	}
	wg.Wait()
	if rn.CutShort() {
		return nil
	}
	// The idle connections stay to the end: the run's last figures (what a finished panel
	// shows) are then the server holding them with nothing to do, which is the lesson,
	// rather than the burst of their hanging up.
	if p.quietEnd > 0 {
		if len(idle) > 0 {
			rn.Note("every client is gone; the %d idle connections stay, and the server waits", len(idle))
		} else {
			rn.Note("every client is gone; the server waits")
		}
		rn.Pause(p.quietEnd)
	}
	rn.Finish(sv)
	return nil
}

// client is one lane: connect, put, get, stay a while, hang up.
func (p kvPlan) client(rn *run.Run, addr string, lane int, slow bool, start time.Duration) {
	if !rn.Pause(start) {
		return
	}
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return
	}
	defer c.HangUp()
	key := fmt.Sprintf("k%d", lane)
	if err := c.put(key, fmt.Sprintf("v%d", lane)); err != nil {
		return
	}
	if slow {
		rn.Note("A, the slow client, keeps its connection for %s, asking once a second", p.slowFor)
		for deadline := time.Now().Add(p.slowFor); time.Now().Before(deadline); {
			if !rn.Pause(time.Second) || c.get(key) != nil {
				return
			}
		}
		return
	}
	if c.get(key) != nil {
		return
	}
	if p.hold > 0 {
		rn.Pause(p.hold)
	}
}

// A kvLane is the book's own client on one lane of the timeline.
type kvLane struct {
	*run.Lane
	kv *kv.Client
}

func dialKV(rn *run.Run, lane int, addr string) (*kvLane, error) {
	l, err := rn.Dial(lane, addr)
	if err != nil {
		return nil, err
	}
	return &kvLane{Lane: l, kv: kv.NewClient(l.Conn)}, nil
}

func (c *kvLane) put(key, value string) error {
	_, err := c.Request("put "+key+" "+value, func() (string, error) {
		if err := c.kv.Put(key, value); err != nil {
			return "", err
		}
		return "ok", nil
	})
	return err
}

func (c *kvLane) get(key string) error {
	_, err := c.getValue(key)
	return err
}

// getValue is get, returning what the lane shows: the value, or "not found".
func (c *kvLane) getValue(key string) (string, error) {
	return c.Request("get "+key, func() (string, error) {
		v, err := c.kv.Get(key)
		if errors.Is(err, kv.ErrNotFound) {
			return "not found", nil
		}
		return v, err
	})
}

// openIdle opens n connections that never send anything: the crowd a readiness call must
// look through to find the few clients that talk.
func openIdle(rn *run.Run, addr string, n int) ([]net.Conn, error) {
	if n == 0 {
		return nil, nil
	}
	rn.Note("%d idle connections open and stay silent", n)
	return rn.OpenQuietly(addr, n)
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
