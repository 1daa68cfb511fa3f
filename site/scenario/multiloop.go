package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
	"flavors/site/run"
)

// The many-loops scenario: two loops, each with a listening socket of its own
// (SO_REUSEPORT), so that the kernel deals the clients out; the lanes say which loop got
// each. Client A then turns busy, pipelining gets as fast as its loop answers, and the
// loops' own figures show one loop working and the other idle, whatever the others ask.
const (
	loopsStagger = 150 * time.Millisecond
	busyFor      = 4 * time.Second
	askEvery     = 500 * time.Millisecond
	busyBatch    = 64 // gets A keeps in flight
)

func playMultiloop(ctx context.Context, rn *run.Run, opts run.Options) error {
	sv, err := rn.Serve("-loops", "2", "-accept", "reuseport", "-stats")
	if err != nil {
		return err
	}
	rn.Running()
	rn.Note("two loops, each with its own listening socket: the kernel picks a loop for every connection")
	var (
		wg      sync.WaitGroup
		busyEnd = make(chan struct{})
	)
	for lane := range opts.Clients {
		wg.Go(func() {
			if !rn.Pause(time.Duration(lane) * loopsStagger) {
				return
			}
			c, err := dialKV(rn, lane, sv.Addr())
			if err != nil {
				return
			}
			defer c.HangUp()
			key := fmt.Sprintf("k%d", lane)
			if c.put(key, fmt.Sprintf("v%d", lane)) != nil {
				return
			}
			if lane == 0 {
				if !rn.Pause(time.Duration(opts.Clients) * loopsStagger) {
					return
				}
				rn.Note("A turns busy for %s: %d gets in flight at all times, on its loop alone", busyFor, busyBatch)
				c.pipeline(key, busyFor)
				close(busyEnd)
				return
			}
			for {
				select {
				case <-busyEnd:
					return
				case <-ctx.Done():
					return
				case <-time.After(askEvery):
				}
				if c.get(key) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if rn.CutShort() {
		return nil
	}
	rn.Note("every client is gone; both loops wait")
	rn.Pause(time.Second)
	rn.Finish(sv)
	return nil
}

// pipeline keeps busyBatch gets of key in flight for d: one request on the timeline, many on
// the wire.
func (c *kvLane) pipeline(key string, d time.Duration) error {
	_, err := c.Request(fmt.Sprintf("%d gets in flight for %s", busyBatch, d), func() (string, error) {
		get := &kvpb.KeyValueMessage{Kind: kv.Get, Key: key}
		answered := 0
		for deadline := time.Now().Add(d); time.Now().Before(deadline); {
			for range busyBatch {
				if err := c.kv.Send(get); err != nil {
					return "", err
				}
			}
			for range busyBatch {
				if _, err := c.kv.Receive(); err != nil {
					return "", err
				}
			}
			answered += busyBatch
		}
		return fmt.Sprintf("%d answers", answered), nil
	})
	return err
}
