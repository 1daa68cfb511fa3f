// Package loadgen is the book's load generator: connections that keep requests in flight
// against a key-value server, and a ramp that piles idle connections onto a server while a
// few active clients measure how it answers.
package loadgen

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"flavors/code/kv"
)

// Config describes a load.
type Config struct {
	Addr      string
	Conns     int           // connections, each with its own goroutine
	Depth     int           // requests in flight per connection (pipelining)
	Keys      int           // size of the key space; every key is put once before the run
	GetRatio  float64       // fraction of requests that are gets; the rest are puts
	ValueSize int           // bytes in every value put
	Rate      float64       // requests per second per connection, one at a time; 0: as fast as answered
	Warmup    time.Duration // sent but not counted: connections, caches and the scheduler settle
	Duration  time.Duration // the measured window
	Grace     time.Duration // how long answers still in flight are awaited after the window
}

func (c Config) withDefaults() Config {
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.Depth <= 0 {
		c.Depth = 1
	}
	if c.Keys <= 0 {
		c.Keys = 1000
	}
	if c.Grace <= 0 {
		c.Grace = 2 * time.Second
	}
	return c
}

// Result is what a run measured.
type Result struct {
	Requests int64         // answers that arrived in the measured window
	Errors   int64         // wrong answers, and requests that were never answered
	Elapsed  time.Duration // length of the measured window
	Total    int64         // answers over the whole run, preload and warm-up included
	P50      time.Duration
	P99      time.Duration
	P999     time.Duration
	Err      error // the first connection failure, if any
}

func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r Result) String() string {
	return fmt.Sprintf("%.0f req/s  p50 %v  p99 %v  p999 %v  requests %d  errors %d",
		r.PerSecond(), round(r.P50), round(r.P99), round(r.P999), r.Requests, r.Errors)
}

func round(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// Progress is reported once a second while a run goes on, and at every change of phase.
type Progress struct {
	Phase     string        // "warm-up", "measuring" or "done"
	Elapsed   time.Duration // since the phase began
	Requests  int64         // answers so far in this phase
	Errors    int64
	PerSecond float64 // over the last report's interval
}

// Run dials cfg.Conns connections, puts every key once, then loads the server for cfg.Warmup
// and measures it for cfg.Duration. watch, if not nil, is called from Run's goroutine.
func Run(ctx context.Context, cfg Config, watch func(Progress)) (Result, error) {
	cfg = cfg.withDefaults()
	RaiseFileLimit()
	frames := newRequestFrames(cfg.Keys, cfg.ValueSize)
	clients, err := dialClients(ctx, cfg, frames)
	if err != nil {
		return Result{}, err
	}
	defer closeClients(clients)
	if err := preload(clients[0], frames, cfg.Grace); err != nil {
		return Result{}, err
	}
	res := drive(ctx, clients, cfg, watch)
	res.Total += int64(len(frames.puts))
	return res, nil
}

func dialClients(ctx context.Context, cfg Config, frames *requestFrames) ([]*client, error) {
	var d net.Dialer
	clients := make([]*client, 0, cfg.Conns)
	for i := range cfg.Conns {
		conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			closeClients(clients)
			return nil, err
		}
		clients = append(clients, newClient(conn, cfg, frames, uint64(i)+1))
	}
	return clients, nil
}

func closeClients(clients []*client) {
	for _, c := range clients {
		c.conn.Close()
	}
}

// preload puts every key once, so that a get during the run finds its key and an answer
// with status NotOk means the server is wrong.
func preload(c *client, frames *requestFrames, grace time.Duration) error {
	const batch = 256
	c.conn.SetDeadline(time.Now().Add(grace + time.Duration(len(frames.puts))*time.Millisecond))
	defer c.conn.SetDeadline(time.Time{})
	for start := 0; start < len(frames.puts); start += batch {
		c.out = c.out[:0]
		end := min(start+batch, len(frames.puts))
		for _, f := range frames.puts[start:end] {
			c.out = append(c.out, f...)
		}
		if _, err := c.conn.Write(c.out); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		for range end - start {
			body, err := kv.ReadFrame(c.in, c.body)
			if err != nil {
				return fmt.Errorf("preload: %w", err)
			}
			c.body = body
			if !answered(body, kv.PutOrUpdate) {
				return fmt.Errorf("preload: a put was not answered Ok")
			}
		}
	}
	return nil
}

// drive runs every client that is not broken through warm-up, the measured window and the
// drain, and adds up what they measured.
func drive(ctx context.Context, clients []*client, cfg Config, watch func(Progress)) Result {
	var phase atomic.Int32
	var wg sync.WaitGroup
	live := make([]*client, 0, len(clients))
	for _, c := range clients {
		if c.broken() {
			continue
		}
		c.latency.Reset()
		c.answers.Store(0)
		c.failures.Store(0)
		c.all.Store(0)
		live = append(live, c)
		wg.Go(func() { c.run(&phase) })
	}
	if cfg.Warmup > 0 {
		runPhase(ctx, live, "warm-up", cfg.Warmup, watch)
	}
	phase.Store(measuring)
	elapsed := runPhase(ctx, live, "measuring", cfg.Duration, watch)
	phase.Store(stopping)
	report(watch, live, "done", elapsed, 0)
	deadline := time.Now().Add(cfg.Grace)
	for _, c := range live {
		c.conn.SetReadDeadline(deadline)
	}
	wg.Wait()
	for _, c := range live {
		c.conn.SetReadDeadline(time.Time{})
	}
	return sum(live, elapsed)
}

// runPhase waits out one phase, reporting progress once a second, and returns how long the
// phase lasted (shorter than d if ctx ended it).
func runPhase(ctx context.Context, clients []*client, name string, d time.Duration, watch func(Progress)) time.Duration {
	start := time.Now()
	report(watch, clients, name, 0, 0)
	end := time.NewTimer(d)
	defer end.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastAt := count(clients), start
	for {
		select {
		case <-ctx.Done():
			return time.Since(start)
		case <-end.C:
			return time.Since(start)
		case now := <-tick.C:
			n := count(clients)
			report(watch, clients, name, now.Sub(start), float64(n-last)/now.Sub(lastAt).Seconds())
			last, lastAt = n, now
		}
	}
}

func report(watch func(Progress), clients []*client, phase string, elapsed time.Duration, perSecond float64) {
	if watch == nil {
		return
	}
	p := Progress{Phase: phase, Elapsed: elapsed, PerSecond: perSecond}
	for _, c := range clients {
		p.Requests += c.answers.Load()
		p.Errors += c.failures.Load()
	}
	if phase == "warm-up" {
		p.Requests = count(clients)
	}
	watch(p)
}

func count(clients []*client) int64 {
	var n int64
	for _, c := range clients {
		n += c.all.Load()
	}
	return n
}

func sum(clients []*client, elapsed time.Duration) Result {
	res := Result{Elapsed: elapsed}
	h := NewHistogram()
	for _, c := range clients {
		res.Requests += c.answers.Load()
		res.Errors += c.failures.Load()
		res.Total += c.all.Load()
		h.Merge(c.latency)
		if res.Err == nil && c.err != nil {
			res.Err = c.err
		}
	}
	res.P50, res.P99, res.P999 = h.Quantile(0.50), h.Quantile(0.99), h.Quantile(0.999)
	return res
}
