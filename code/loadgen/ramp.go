package loadgen

import (
	"context"
	"net"
	"sync"
	"time"

	"flavors/code/kv"
)

// A Ramp holds a few active clients and a growing crowd of idle connections against one
// server: the c10k experiment. Grow adds idle connections, Probe measures how the active
// clients are answered with that crowd present. The active clients connect first and stay,
// so they keep the low descriptor numbers a select server can still watch.
type Ramp struct {
	cfg     Config
	frames  *requestFrames
	active  []*client
	idle    []net.Conn
	refused int
}

// NewRamp connects cfg.Conns active clients and puts every key once. cfg.Rate, if set,
// paces each active client; cfg.Warmup and cfg.Duration are not used: Probe takes a duration.
func NewRamp(ctx context.Context, cfg Config) (*Ramp, error) {
	cfg = cfg.withDefaults()
	RaiseFileLimit()
	frames := newRequestFrames(cfg.Keys, cfg.ValueSize)
	active, err := dialClients(ctx, cfg, frames)
	if err != nil {
		return nil, err
	}
	if err := preload(active[0], frames, cfg.Grace); err != nil {
		closeClients(active)
		return nil, err
	}
	return &Ramp{cfg: cfg, frames: frames, active: active}, nil
}

// Idle is the number of idle connections held open.
func (r *Ramp) Idle() int { return len(r.idle) }

// Refused counts idle connections the server accepted but closed, or never answered.
func (r *Ramp) Refused() int { return r.refused }

// Grow opens idle connections, dialling at most 64 at a time, until n are held. Each one
// asks one get and waits for the answer, so the server has really taken the connection in
// (accepted it, given it a thread or registered it) before it counts as held. Grow tries once
// per missing connection: a server that refuses connections leaves the ramp short, and
// Refused says by how many. A failed dial (the server is gone, or the client is out of
// descriptors or ports) stops Grow with that error.
func (r *Ramp) Grow(ctx context.Context, n int) error {
	attempts := n - len(r.idle)
	if attempts <= 0 {
		return nil
	}
	var (
		mu      sync.Mutex
		dialErr error
		wg      sync.WaitGroup
		slots   = make(chan struct{}, 64)
	)
	for range attempts {
		if ctx.Err() != nil {
			break
		}
		mu.Lock()
		stop := dialErr != nil
		mu.Unlock()
		if stop {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			conn, held, err := r.openIdle(ctx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				if dialErr == nil {
					dialErr = err
				}
			case held:
				r.idle = append(r.idle, conn)
			default:
				r.refused++
			}
		})
	}
	wg.Wait()
	if dialErr != nil {
		return dialErr
	}
	return ctx.Err()
}

// openIdle dials one connection and checks that the server answers it. held is false when
// the server accepted the connection but closed it or did not answer in time.
func (r *Ramp) openIdle(ctx context.Context) (conn net.Conn, held bool, err error) {
	var d net.Dialer
	conn, err = d.DialContext(ctx, "tcp", r.cfg.Addr)
	if err != nil {
		return nil, false, err
	}
	conn.SetDeadline(time.Now().Add(r.cfg.Grace))
	_, err = conn.Write(r.frames.gets[0])
	var body []byte
	if err == nil {
		body, err = kv.ReadFrame(conn, nil)
	}
	if err != nil || !answered(body, kv.GetResponse) {
		conn.Close()
		return nil, false, nil
	}
	conn.SetDeadline(time.Time{})
	return conn, true, nil
}

// Probe runs the active clients for d, with no warm-up, and returns what they measured.
func (r *Ramp) Probe(ctx context.Context, d time.Duration) Result {
	cfg := r.cfg
	cfg.Warmup, cfg.Duration = 0, d
	return drive(ctx, r.active, cfg, nil)
}

// Close closes every connection the ramp holds.
func (r *Ramp) Close() {
	closeClients(r.active)
	for _, c := range r.idle {
		c.Close()
	}
	r.idle = nil
}
