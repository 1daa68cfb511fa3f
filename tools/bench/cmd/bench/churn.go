package main

import (
	"context"
	"fmt"
	"time"

	"flavors/code/loadgen"
)

// A churnRun is one server, fresh, taking churnConns idle connections in, letting them go,
// and taking as many again, round after round. The first round is what a connection costs a
// fresh process; the last, what it costs once memory has been used and freed, which is the
// state a long-running server lives in: freed memory stays resident, and a runtime that hands
// it out again must clear it, touching every page a fresh allocation would have left alone.
type churnRun struct {
	Mode  string       `json:"mode"`
	Round int          `json:"round"` // of the benchmark's ramp rounds
	Base  int64        `json:"base_rss_kib"`
	Steps []churnRound `json:"rounds"`
	Fail  string       `json:"failure,omitempty"`
}

type churnRound struct {
	Held    int     `json:"held"`
	RSSKiB  int64   `json:"rss_kib"`
	PerConn float64 `json:"rss_kib_per_conn"` // (RSS - Base) / Held
}

func runChurn(ctx context.Context, p plan, bin string, name string, round int) churnRun {
	r := churnRun{Mode: name, Round: round}
	m, _ := modeNamed(name)
	path, args := m.command(bin)
	srv, err := startServer(name, path, p.serverCPU, args...)
	if err != nil {
		r.Fail = err.Error()
		return r
	}
	defer srv.stop()
	ramp, err := loadgen.NewRamp(ctx, loadgen.Config{Addr: srv.addr, Conns: 1, Keys: 1000, ValueSize: 16})
	if err != nil {
		r.Fail = err.Error()
		return r
	}
	defer ramp.Close()
	base, err := sampleServer(srv.pid())
	if err != nil {
		r.Fail = err.Error()
		return r
	}
	r.Base = base.rssKiB
	for range p.churnRounds {
		if err := ramp.Grow(ctx, p.churnConns); err != nil {
			r.Fail = err.Error()
			return r
		}
		s, err := sampleServer(srv.pid())
		if err != nil {
			r.Fail = srv.crash()
			return r
		}
		step := churnRound{Held: ramp.Idle(), RSSKiB: s.rssKiB}
		if step.Held > 0 {
			step.PerConn = float64(s.rssKiB-base.rssKiB) / float64(step.Held)
		}
		r.Steps = append(r.Steps, step)
		ramp.DropIdle()
		if err := waitForFDs(srv, base.fds, 10*time.Second); err != nil {
			r.Fail = err.Error()
			return r
		}
	}
	logf("churn %-13s %d × %d idle: RSS/conn %.1f KiB fresh, %.1f KiB after churn",
		name, p.churnRounds, p.churnConns, r.Steps[0].PerConn, r.Steps[len(r.Steps)-1].PerConn)
	return r
}

// waitForFDs waits until the server has closed the connections the client closed, so that
// the next round finds it back where it started.
func waitForFDs(srv *server, fds int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		s, err := sampleServer(srv.pid())
		if err != nil {
			return fmt.Errorf("churn: %s", srv.crash())
		}
		if s.fds <= fds {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("churn: the server still holds %d descriptors, %d before", s.fds, fds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
