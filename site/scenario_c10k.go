package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// c10k ramps idle connections up to the reader's number while three clients keep asking,
// so the gauges draw what each model pays per connection (threads, memory, descriptors)
// and the lanes show whether the active clients still get quick answers.
const (
	c10kSteps    = 10
	c10kStepWait = time.Second
	c10kHold     = 3 * time.Second
	c10kActive   = 3
	c10kAskEvery = 250 * time.Millisecond
)

func playC10K(ctx context.Context, rn *run, opts runOptions) error {
	sv, err := rn.serve()
	if err != nil {
		return err
	}
	rn.running()
	askCtx, stopAsking := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for lane := range c10kActive {
		wg.Go(func() { keepAsking(askCtx, rn, sv.addr, lane) })
	}
	var idle []net.Conn
	defer func() { closeAll(idle) }()
	for step := 1; step <= c10kSteps && !rn.cutShort(); step++ {
		want := opts.Conns * step / c10kSteps
		more, err := rn.openQuietly(sv.addr, want-len(idle))
		idle = append(idle, more...)
		if err != nil {
			rn.note("opening connection %d failed: %v", len(idle)+1, err)
			break
		}
		rn.note("%d idle connections open", len(idle))
		if !rn.pause(c10kStepWait) {
			break
		}
	}
	if !rn.cutShort() {
		rn.note("holding %d idle connections", len(idle))
		rn.pause(c10kHold)
	}
	stopAsking()
	wg.Wait()
	if rn.cutShort() {
		return nil
	}
	rn.note("the %d idle connections hang up", len(idle))
	closeAll(idle)
	idle = nil
	rn.pause(time.Second)
	rn.finish(sv)
	return nil
}

// keepAsking is an active client: a get every c10kAskEvery until ctx is done.
func keepAsking(ctx context.Context, rn *run, addr string, lane int) {
	c, err := rn.dialKV(lane, addr)
	if err != nil {
		return
	}
	defer c.close()
	key := fmt.Sprintf("active%d", lane)
	if c.put(key, "here") != nil {
		return
	}
	tick := time.NewTicker(c10kAskEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if c.get(key) != nil {
			return
		}
	}
}

func init() {
	addScenario(&scenario{
		Name: "c10k",
		Lessons: map[string]string{
			"threaded": "Each idle connection holds a thread blocked in read: threads and memory climb with the connections, " +
				"until Go's limit of 10,000 threads ends the server.",
			"gonet":  "Idle connections cost a goroutine and a descriptor each, not a thread: threads stay flat while descriptors climb.",
			"epoll":  "Idle connections cost a descriptor and a few bytes of buffer: threads stay at one loop, memory barely moves.",
			"poll":   "poll copes with the crowd, but passes every descriptor on every call: watch the CPU as connections climb.",
			"select": "select cannot watch a descriptor numbered 1024 or more: past that, the server refuses new connections.",
		},
		Modes:   []string{"threaded", "gonet", "epoll", "poll", "select"},
		Conns:   optionRange{Default: 2000, Min: 100, Max: 10000},
		Console: true,
		Scales:  scales{CPU: 100, RSS: 1 << 30, Threads: 10000, FDs: 10000},
		Lanes:   func(runOptions) []string { return laneNames(c10kActive, false) },
		Play:    playC10K,
	})
}
