package loadgen

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"flavors/code/kv"
)

// The phases of a run, shared by every client's goroutine. Only answers that arrive while
// measuring are counted; stopping lets the requests still in flight come back.
const (
	warmingUp int32 = iota
	measuring
	stopping
)

// sentRequest is what a client remembers of a request until its answer arrives: answers come
// back in request order, so a FIFO of these pairs every answer with its request.
type sentRequest struct {
	at   time.Time
	want uint32 // the kind an Ok answer carries
}

// A client is one connection that keeps up to depth requests in flight.
type client struct {
	conn     net.Conn
	in       *bufio.Reader
	body     []byte
	out      []byte
	pending  []sentRequest // ring buffer, len == depth
	head     int
	inFlight int

	frames   *requestFrames
	getRatio float64
	interval time.Duration // > 0: send one request per interval, one at a time
	next     time.Time
	rng      *rand.Rand

	latency  *Histogram
	answers  atomic.Int64 // answers in the measured phase
	failures atomic.Int64 // wrong answers and requests never answered
	all      atomic.Int64 // answers in every phase
	err      error        // why the connection broke, if it did
}

func newClient(conn net.Conn, cfg Config, frames *requestFrames, seed uint64) *client {
	depth := cfg.Depth
	var interval time.Duration
	if cfg.Rate > 0 {
		depth = 1
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	return &client{
		conn:     conn,
		in:       bufio.NewReaderSize(conn, 64<<10),
		pending:  make([]sentRequest, depth),
		frames:   frames,
		getRatio: cfg.GetRatio,
		interval: interval,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		latency:  NewHistogram(),
	}
}

// run sends and reads until the phase is stopping and nothing is in flight. Answers already
// buffered are read before topping up, so the replacements go out together in one write: a
// client with depth 16 writes a batch, not sixteen frames one by one.
func (c *client) run(phase *atomic.Int32) {
	for {
		if phase.Load() != stopping {
			if err := c.topUp(phase); err != nil {
				c.fail(err)
				return
			}
		}
		if c.inFlight == 0 {
			return
		}
		for {
			if err := c.readAnswer(phase); err != nil {
				c.fail(err)
				return
			}
			if c.inFlight == 0 || !c.answerBuffered() {
				break
			}
		}
	}
}

func (c *client) topUp(phase *atomic.Int32) error {
	if c.interval > 0 {
		if c.inFlight > 0 {
			return nil
		}
		c.waitForSlot()
		if phase.Load() == stopping {
			return nil
		}
	}
	c.out = c.out[:0]
	now := time.Now()
	for c.inFlight < len(c.pending) {
		key := c.rng.IntN(len(c.frames.gets))
		if c.rng.Float64() < c.getRatio {
			c.out = append(c.out, c.frames.gets[key]...)
			c.push(sentRequest{at: now, want: kv.GetResponse})
		} else {
			c.out = append(c.out, c.frames.puts[key]...)
			c.push(sentRequest{at: now, want: kv.PutOrUpdate})
		}
	}
	_, err := c.conn.Write(c.out)
	return err
}

// waitForSlot paces a client that has a rate. A client that fell behind starts again from now
// rather than sending a burst to catch up.
func (c *client) waitForSlot() {
	now := time.Now()
	if c.next.Before(now) {
		c.next = now
	}
	time.Sleep(c.next.Sub(now))
	c.next = c.next.Add(c.interval)
}

func (c *client) readAnswer(phase *atomic.Int32) error {
	body, err := kv.ReadFrame(c.in, c.body)
	if err != nil {
		return err
	}
	c.body = body
	req := c.pop()
	if !answered(body, req.want) {
		c.failures.Add(1)
	}
	if phase.Load() == measuring {
		c.latency.Record(time.Since(req.at))
		c.answers.Add(1)
	}
	c.all.Add(1)
	return nil
}

// answerBuffered reports whether a whole answer is already in the read buffer, so reading it
// cannot block.
func (c *client) answerBuffered() bool {
	if c.in.Buffered() < 4 {
		return false
	}
	head, _ := c.in.Peek(4)
	return c.in.Buffered() >= 4+int(binary.BigEndian.Uint32(head))
}

func (c *client) push(r sentRequest) {
	c.pending[(c.head+c.inFlight)%len(c.pending)] = r
	c.inFlight++
}

func (c *client) pop() sentRequest {
	r := c.pending[c.head]
	c.head = (c.head + 1) % len(c.pending)
	c.inFlight--
	return r
}

// fail marks the connection broken. Every request still in flight counts as a failure: it
// was sent and will never be answered.
func (c *client) fail(err error) {
	c.failures.Add(int64(c.inFlight))
	if c.inFlight == 0 {
		c.failures.Add(1)
	}
	c.inFlight = 0
	c.err = err
}

func (c *client) broken() bool { return c.err != nil }
