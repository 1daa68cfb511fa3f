package scenario

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"flavors/site/run"
)

// c10k ramps idle connections up to the reader's number while three clients keep asking,
// so the gauges draw what each model pays per connection (threads, memory, descriptors)
// and the lanes show whether the active clients still get quick answers.
const (
	c10kSteps    = 10
	c10kStepWait = time.Second
	c10kHold     = 3 * time.Second
	c10kAccept   = 20 * time.Second // at most, for the server to take the last of the ramp
	c10kActive   = 3
	c10kAskEvery = 250 * time.Millisecond
)

func playC10K(ctx context.Context, rn *run.Run, opts run.Options) error {
	sv, err := rn.Serve()
	if err != nil {
		return err
	}
	rn.Running()
	askCtx, stopAsking := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for lane := range c10kActive {
		wg.Go(func() { keepAsking(askCtx, rn, sv.Addr(), lane) })
	}
	var idle []net.Conn
	defer func() { closeAll(idle) }()
	for step := 1; step <= c10kSteps && !rn.CutShort(); step++ {
		want := opts.Conns * step / c10kSteps
		more, err := rn.OpenQuietly(sv.Addr(), want-len(idle))
		idle = append(idle, more...)
		if err != nil {
			rn.Note("opening connection %d failed: %v", len(idle)+1, err)
			break
		}
		rn.Note("%d idle connections open", len(idle))
		if !rn.Pause(c10kStepWait) {
			break
		}
	}
	// A server on a busy machine may take a while to accept thousands of connections; the
	// lesson is what holding all of them costs (for threaded: its life), so the hold starts
	// once it holds them.
	for deadline := time.Now().Add(c10kAccept); rn.Held() < len(idle) && time.Now().Before(deadline); {
		if !rn.Pause(100 * time.Millisecond) {
			break
		}
	}
	if !rn.CutShort() {
		rn.Note("holding %d idle connections", len(idle))
		rn.Pause(c10kHold)
	}
	stopAsking()
	wg.Wait()
	if rn.CutShort() {
		return nil
	}
	rn.Note("the %d idle connections hang up", len(idle))
	closeAll(idle)
	idle = nil
	rn.Pause(time.Second)
	rn.Finish(sv)
	return nil
}

// keepAsking is an active client: a get every c10kAskEvery until ctx is done.
func keepAsking(ctx context.Context, rn *run.Run, addr string, lane int) {
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return
	}
	defer c.HangUp()
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
