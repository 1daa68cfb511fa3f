package scenario

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
	"flavors/site/run"
)

// backpressurePlan is the Backpressure chapter's scenario: client A stores a 4 KiB value
// and then asks for it again and again without reading a single answer, until TCP stops its
// writes; the other clients keep putting and getting beside it; at the end A reads, and
// every answer it is owed arrives, in order. The gauges show the server's memory staying
// flat while A's requests and answers wait in the kernels' buffers.
type backpressurePlan struct {
	push  time.Duration // how long A's writes may go on before they stop by themselves
	stuck time.Duration // how long A sits blocked, reading nothing, before it reads
	tick  time.Duration // between two requests of a polite client
}

func (p backpressurePlan) play(ctx context.Context, rn *run.Run, opts run.Options) error {
	sv, err := rn.Serve()
	if err != nil {
		return err
	}
	rn.Running()
	a, err := dialKV(rn, 0, sv.Addr())
	if err != nil {
		return err
	}
	defer a.HangUp()
	value := strings.Repeat("v", 4<<10)
	if err := a.put("big", value); err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for lane := 1; lane < opts.Clients; lane++ {
		wg.Go(func() { p.polite(rn, sv.Addr(), lane, stop) })
	}
	owed, err := p.neverRead(rn, a)
	if err == nil && rn.Pause(p.stuck) {
		err = p.readAll(a, owed, len(value))
	}
	close(stop)
	wg.Wait()
	if err != nil || rn.CutShort() {
		return nil // the lane shows what went wrong
	}
	rn.Finish(sv)
	return nil
}

// neverRead sends gets of "big" from A, reading nothing, until a write has made no headway
// for half a second: the kernel's buffers are full both ways and TCP has stopped A. It
// returns how many whole requests went out.
func (p backpressurePlan) neverRead(rn *run.Run, a *kvLane) (int, error) {
	get := kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "big"})
	// A small send buffer of its own keeps A's backlog, and so the answers it will read at
	// the end, to a few megabytes; the server's side is untouched.
	if tc, ok := a.Conn.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	batch := []byte(strings.Repeat(string(get), 256))
	written := 0
	answer, err := a.Request("get big, again and again, reading nothing", func() (string, error) {
		deadline := time.Now().Add(p.push)
		var pending []byte
		for time.Now().Before(deadline) && !rn.CutShort() {
			if len(pending) == 0 {
				pending = batch // whole frames again, only once the last batch is all out
			}
			a.Conn.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
			n, err := a.Conn.Write(pending)
			written += n
			pending = pending[n:]
			if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Sprintf("blocked: %d gets sent (%d KB), %s",
					written/len(get), written>>10, queued(a)), nil
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return "", err
			}
		}
		return fmt.Sprintf("still sending after %v: %d gets", p.push, written/len(get)), nil
	})
	if err == nil {
		rn.Note("A: %s", answer)
	}
	a.Conn.SetWriteDeadline(time.Time{})
	return written / len(get), err
}

// queued reads A's own socket: bytes written but not yet taken by the server (TIOCOUTQ) and
// answers arrived but not read (TIOCINQ).
func queued(a *kvLane) string {
	var out, in int
	if tc, ok := a.Conn.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				out, _ = unix.IoctlGetInt(int(fd), unix.TIOCOUTQ)
				in, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
			})
		}
	}
	return fmt.Sprintf("%d KB of requests wait in its socket, %d KB of answers unread", out>>10, in>>10)
}

// readAll makes A read at last: every one of the owed answers must come, each
// the whole value.
func (p backpressurePlan) readAll(a *kvLane, owed, size int) error {
	_, err := a.Request(fmt.Sprintf("read the %d answers owed", owed), func() (string, error) {
		r := bufio.NewReaderSize(a.Conn, 64<<10)
		var buf []byte
		for i := range owed {
			body, err := kv.ReadFrame(r, buf)
			if err != nil {
				return "", fmt.Errorf("answer %d of %d: %w", i+1, owed, err)
			}
			buf = body[:0]
			var m kvpb.KeyValueMessage
			if err := proto.Unmarshal(body, &m); err != nil || m.Kind != kv.GetResponse || len(m.Value) != size {
				return "", fmt.Errorf("answer %d of %d is not the value", i+1, owed)
			}
		}
		return fmt.Sprintf("all %d answers, each the whole value", owed), nil
	})
	return err
}

// polite is one of the other clients: a put and a get of its own key every tick, until
// stop, each answered while A sits blocked.
func (p backpressurePlan) polite(rn *run.Run, addr string, lane int, stop <-chan struct{}) {
	c, err := dialKV(rn, lane, addr)
	if err != nil {
		return
	}
	defer c.HangUp()
	key := fmt.Sprintf("k%d", lane)
	for i := 0; ; i++ {
		if c.put(key, fmt.Sprint(i)) != nil || c.get(key) != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(p.tick):
		}
	}
}
