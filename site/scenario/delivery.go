package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"flavors/code/faultproxy"
	"flavors/code/kv"
	"flavors/code/kv/kvpb"
	"flavors/code/kv/kvtest"
	"flavors/site/run"
)

// deliveryPlan is the Reliable delivery chapter's scenario: each client appends the numbers
// 0, 1, 2, … to a key of its own, inside a session, through the fault proxy, while the proxy
// breaks a connection on a schedule (a reset, a black hole, a FIN, in turn, each in the
// middle of a batch) and every connection whenever the reader types rst, fin or blackhole
// in the console. A lane shows each connection come
// and go, and each batch of appends with how many of them had to be sent again; at the end
// every key is read back and checked: each number once, in order.
type deliveryPlan struct {
	appends       int           // per client
	batch         int           // appends submitted together: the window
	pace          time.Duration // between two batches of a client
	cutEvery      time.Duration
	answerTimeout time.Duration // how long a client waits in a black hole before it redials
}

var deliveryFaults = []struct {
	fault faultproxy.Fault
	says  string
}{
	{faultproxy.RST, "a reset: both ends see ECONNRESET, and the client reconnects at once"},
	{faultproxy.BlackHole, "a black hole: nothing gets through and nobody is told; the client notices the silence after %v"},
	{faultproxy.FIN, "an orderly close (FIN): the client sees its connection end, and reconnects"},
}

func (p deliveryPlan) play(ctx context.Context, rn *run.Run, opts run.Options) error {
	sv, err := rn.Serve()
	if err != nil {
		return err
	}
	proxy, err := faultproxy.Listen("127.0.0.1:0", sv.Addr())
	if err != nil {
		return err
	}
	defer proxy.Close()
	rn.OnCommand(func(line string) (string, bool) {
		f, err := faultproxy.ParseFault(line)
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("the proxy cut %s with %s", count(proxy.Cut(f), "connection"), f), true
	})
	rn.Running()
	rn.Note("the clients reach the server through a proxy that breaks connections; type rst, fin or blackhole in the console to break them yourself")
	stop := make(chan struct{})
	var cuts sync.WaitGroup
	cuts.Go(func() { p.cutter(rn, proxy, stop) })
	stats := make([]kv.SessionStats, opts.Clients)
	var clients sync.WaitGroup
	for lane := range opts.Clients {
		clients.Go(func() { stats[lane] = p.client(rn, proxy.Addr(), lane) })
	}
	clients.Wait()
	close(stop)
	cuts.Wait()
	if rn.CutShort() {
		return nil
	}
	p.check(rn, sv.Addr(), stats)
	rn.Finish(sv)
	return nil
}

// cutter breaks a connection every cutEvery, with each fault in turn, at a random byte of
// the traffic that follows, either way: in the middle of a batch, so that some of its
// requests, or some of its answers, are lost with the connection.
func (p deliveryPlan) cutter(rn *run.Run, proxy *faultproxy.Proxy, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(p.cutEvery):
		}
		f := deliveryFaults[i%len(deliveryFaults)]
		dir, way := faultproxy.Down, "an answer"
		if rand.IntN(2) == 0 {
			dir, way = faultproxy.Up, "a request"
		}
		select {
		case <-stop:
			return
		case <-proxy.CutAfter(dir, rand.Int64N(300), f.fault):
		}
		says := f.says
		if f.fault == faultproxy.BlackHole {
			says = fmt.Sprintf(says, p.answerTimeout)
		}
		rn.Note("the proxy breaks a connection in the middle of %s with %s", way, says)
	}
}

// client is one lane: a session client whose every connection is the lane's, appending its
// numbers batch by batch. It returns what its client did.
func (p deliveryPlan) client(rn *run.Run, addr string, lane int) kv.SessionStats {
	c := kv.NewSessionClient(addr, kv.SessionOptions{
		Window:        p.batch,
		AnswerTimeout: p.answerTimeout,
		GiveUpAfter:   20 * time.Second,
		Dial: func(addr string) (net.Conn, error) {
			l, err := rn.Dial(lane, addr)
			if err != nil {
				return nil, err
			}
			return &laneConn{Conn: l.Conn, lane: l}, nil
		},
	})
	defer c.Close()
	key := deliveryKey(lane)
	for start := 0; start < p.appends && !rn.CutShort(); start += p.batch {
		n := min(p.batch, p.appends-start)
		before := c.Stats()
		what := fmt.Sprintf("append %s %d…%d", key, start, start+n-1)
		_, err := rn.Request(lane, what, func() (string, error) {
			for i := start; i < start+n; i++ {
				req := &kvpb.KeyValueMessage{Kind: kv.Append, Key: key, Value: kvtest.Number(i)}
				if _, err := c.Submit(req); err != nil {
					return "", err
				}
			}
			for range n {
				m, err := c.Receive()
				if err != nil {
					return "", err
				}
				if m.Status != kvpb.Status_Ok {
					return "", fmt.Errorf("append of seq %d answered %v", m.Seq, m.Status)
				}
			}
			after := c.Stats()
			answer := fmt.Sprintf("%d applied", n)
			if resent := after.Resent - before.Resent; resent > 0 {
				answer += fmt.Sprintf(", %d of them sent again after a break", resent)
			}
			return answer + fmt.Sprintf(" · %d acknowledged so far", after.Answered), nil
		})
		if err != nil || !rn.Pause(p.pace) {
			break
		}
	}
	return c.Stats()
}

// check reads every client's key straight from the server and audits it.
func (p deliveryPlan) check(rn *run.Run, addr string, stats []kv.SessionStats) {
	c, err := kv.Dial(addr)
	if err != nil {
		rn.Note("could not read the values back: %v", err)
		return
	}
	defer c.Close()
	want := make([]int, p.appends)
	for i := range want {
		want[i] = i
	}
	for lane, s := range stats {
		value, _ := c.Get(deliveryKey(lane))
		verdict := "every number once, in order"
		if a := kvtest.AuditNumbers(value, want); !a.Ok() {
			verdict = "wrong: " + a.String()
		}
		rn.Note("%s: %d appends, %s, %d sent again after breaks; the value: %s",
			deliveryKey(lane), s.Answered, count(int(s.Connects), "connection"), s.Resent, verdict)
	}
}

func deliveryKey(lane int) string { return "numbers-" + string(rune('A'+lane)) }

// laneConn is a connection of a session client's lane: its close is the lane hanging up,
// once, however many times the client closes it.
type laneConn struct {
	net.Conn
	lane *run.Lane
	once sync.Once
}

func (c *laneConn) Close() error {
	c.once.Do(c.lane.HangUp)
	return nil
}

// count is "1 connection", "3 connections".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
