package scenario

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"flavors/site/run"
)

// The durable scenario: two clients put, one key after another, and each put waits for the
// disk; three others get, on connections of their own, and are answered at once. Then the
// server is killed with SIGKILL (when the reader presses "kill -9 and restart", or after
// durableWrites), started again on the same directory, and every put that was answered is
// read back.
const (
	durableWriters = 2
	durableReaders = 3
	durableWrites  = 5 * time.Second // how long the clients go on before the scripted kill -9
	durablePace    = 150 * time.Millisecond
)

func durableLanes(run.Options) []string {
	return []string{"A · puts", "B · puts", "C · gets", "D · gets", "E · gets", "F · after the restart"}
}

func playDurable(ctx context.Context, rn *run.Run, opts run.Options) error {
	dir, err := os.MkdirTemp("", "durable-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	flags := []string{"-data", dir, "-slow-disk", fmt.Sprintf("%dms", opts.SlowDisk)}
	sv, err := rn.Serve(flags...)
	if err != nil {
		return err
	}
	rn.Running()
	rn.Note("A and B put, and each put waits for the disk (%d ms a sync); C, D and E only get", opts.SlowDisk)

	var mu sync.Mutex
	answered := map[string]string{} // the puts answered Ok: what must survive
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for lane := range durableWriters {
		wg.Go(func() { durableWriter(rn, sv.Addr(), lane, stop, &mu, answered) })
	}
	for lane := durableWriters; lane < durableWriters+durableReaders; lane++ {
		wg.Go(func() { durableReader(rn, sv.Addr(), lane, stop) })
	}
	select {
	case <-rn.Crashes():
		rn.Note("kill -9, pressed by the reader")
	case <-time.After(durableWrites):
		rn.Note("kill -9, in the middle of the puts")
	case <-ctx.Done():
		close(stop)
		wg.Wait()
		return nil
	}
	rn.Kill(sv, "SIGKILL: the server dies at once, whatever it was doing")
	close(stop)
	wg.Wait()

	if sv, err = rn.Serve(flags...); err != nil {
		return err
	}
	rn.Note("started again on the same directory: it replayed the log before it listened")
	if err := readBack(rn, sv.Addr(), answered); err != nil {
		return err
	}
	rn.Pause(time.Second)
	rn.Finish(sv)
	return nil
}

// durableWriter puts k1, k2, … on its lane until stop, or until the kill breaks its
// connection, and notes each put that was answered.
func durableWriter(rn *run.Run, addr string, lane int, stop chan struct{}, mu *sync.Mutex, answered map[string]string) {
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return
	}
	defer c.HangUp()
	name := string(rune('A' + lane))
	for i := 1; ; i++ {
		key, value := fmt.Sprintf("%s%d", name, i), fmt.Sprintf("v%d", i)
		if c.put(key, value) != nil {
			return
		}
		mu.Lock()
		answered[key] = value
		mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(durablePace):
		}
	}
}

// durableReader gets A1 every little while on its lane until stop, or the kill.
func durableReader(rn *run.Run, addr string, lane int, stop chan struct{}) {
	if !rn.Pause(time.Duration(lane) * 40 * time.Millisecond) {
		return
	}
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return
	}
	defer c.HangUp()
	for {
		if c.get("A1") != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(durablePace):
		}
	}
}

// readBack gets every key whose put was answered, on the last lane, and says whether each
// came back with its value.
func readBack(rn *run.Run, addr string, answered map[string]string) error {
	lane := durableWriters + durableReaders
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return err
	}
	defer c.HangUp()
	keys := make([]string, 0, len(answered))
	for k := range answered {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	missing := 0
	for _, k := range keys {
		v, err := c.getValue(k)
		if err != nil {
			return err
		}
		if v != answered[k] {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("%d of the %d answered puts did not survive the kill", missing, len(keys))
	}
	rn.Note("all %d answered puts are back", len(keys))
	return nil
}
