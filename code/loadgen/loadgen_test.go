package loadgen

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// testServer is a small honest server for the generator to load: a goroutine per connection,
// kv.Handle for every frame, and a count of frames handled and connections open, so a test
// can compare what the generator says it did with what the server saw.
type testServer struct {
	addr    string
	handled atomic.Int64
	open    atomic.Int64
	closed  chan struct{} // receives once per connection that ends
}

// answer turns a request body into the framed response the server writes.
type answer func(dst []byte, body []byte) []byte

func startServer(t *testing.T, respond answer) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String(), closed: make(chan struct{}, 100000)}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.open.Add(1)
			wg.Go(func() {
				defer func() { s.open.Add(-1); s.closed <- struct{}{} }()
				s.serve(conn, respond)
			})
		}
	})
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *testServer) serve(conn net.Conn, respond answer) {
	defer conn.Close()
	in := bufio.NewReader(conn)
	var body, out []byte
	for {
		var err error
		if body, err = kv.ReadFrame(in, body); err != nil {
			return
		}
		s.handled.Add(1)
		out = respond(out, body)
		// Write when no further request is waiting, so pipelined requests are answered in
		// one write the way every server in the book does.
		if in.Buffered() == 0 && len(out) > 0 {
			if _, err := conn.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

func honest() answer {
	store := kv.NewStore()
	return func(dst, body []byte) []byte { return kv.Handle(dst, store, body) }
}

// runBounded fails the test instead of hanging when Run does not return.
func runBounded(t *testing.T, cfg Config) (Result, error) {
	t.Helper()
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := Run(context.Background(), cfg, nil)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return Result{}, nil
	}
}

func TestRunCountsEveryAnswer(t *testing.T) {
	srv := startServer(t, honest())
	res, err := runBounded(t, Config{
		Addr: srv.addr, Conns: 4, Depth: 8, Keys: 100, GetRatio: 0.8, ValueSize: 16,
		Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Err != nil {
		t.Fatalf("errors against an honest server: %d (%v)", res.Errors, res.Err)
	}
	if res.Requests == 0 {
		t.Fatal("no request answered in the measured window")
	}
	// Every frame the server handled was answered and counted, and nothing else was.
	if got := srv.handled.Load(); got != res.Total {
		t.Fatalf("server handled %d requests, generator counted %d", got, res.Total)
	}
	if res.Requests > res.Total {
		t.Fatalf("window %d > total %d", res.Requests, res.Total)
	}
	if !(0 < res.P50 && res.P50 <= res.P99 && res.P99 <= res.P999) {
		t.Fatalf("percentiles out of order: %v %v %v", res.P50, res.P99, res.P999)
	}
}

func TestRunCountsWrongAnswersAsErrors(t *testing.T) {
	// Puts are answered Ok but never stored, so every get finds nothing: NotOk.
	forgetful := func(dst, body []byte) []byte { return kv.Handle(dst, kv.NewStore(), body) }
	srv := startServer(t, forgetful)
	res, err := runBounded(t, Config{
		Addr: srv.addr, Conns: 2, Depth: 4, Keys: 10, GetRatio: 1,
		Duration: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors < res.Requests {
		t.Fatalf("%d answers, %d errors: every get answer should be an error", res.Requests, res.Errors)
	}
}

func TestRunEndsWhenTheServerStopsAnswering(t *testing.T) {
	// The server answers the preload's 10 puts, then goes silent.
	var seen atomic.Int64
	srv := startServer(t, func(dst, body []byte) []byte {
		if seen.Add(1) > 10 {
			return dst
		}
		return kv.Handle(dst, kv.NewStore(), body)
	})
	res, err := runBounded(t, Config{
		Addr: srv.addr, Conns: 1, Depth: 4, Keys: 10, GetRatio: 0,
		Duration: 100 * time.Millisecond, Grace: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 4 {
		t.Fatalf("%d errors, want the 4 requests left in flight", res.Errors)
	}
	var netErr net.Error
	if !errors.As(res.Err, &netErr) || !netErr.Timeout() {
		t.Fatalf("first failure %v, want a timeout", res.Err)
	}
}

func TestRunFailsWhenNobodyListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := runBounded(t, Config{Addr: addr, Duration: time.Millisecond}); err == nil {
		t.Fatal("Run against a closed port succeeded")
	}
}

func TestRampHoldsIdleConnections(t *testing.T) {
	srv := startServer(t, honest())
	ctx := context.Background()
	ramp, err := NewRamp(ctx, Config{Addr: srv.addr, Conns: 2, Keys: 10, GetRatio: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ramp.Grow(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if ramp.Idle() != 50 || ramp.Refused() != 0 {
		t.Fatalf("held %d, refused %d; want 50 and 0", ramp.Idle(), ramp.Refused())
	}
	// Grow answers only after every idle connection got its answer, so the server has
	// accepted all of them plus the two active clients.
	if got := srv.open.Load(); got != 52 {
		t.Fatalf("server has %d connections open, want 52", got)
	}
	res := ramp.Probe(ctx, 100*time.Millisecond)
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("probe: %d answers, %d errors", res.Requests, res.Errors)
	}
	ramp.Close()
	for range 52 {
		select {
		case <-srv.closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("server still has %d connections after Close", srv.open.Load())
		}
	}
}

func TestRampCountsRefusedConnections(t *testing.T) {
	store := kv.NewStore()
	var conns atomic.Int64
	// A server that, like select past its 1,024th descriptor, takes in only the first few
	// connections and closes the rest before answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := &testServer{}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if conns.Add(1) > 10 {
				conn.Close()
				continue
			}
			go srv.serve(conn, func(dst, body []byte) []byte { return kv.Handle(dst, store, body) })
		}
	}()
	ctx := context.Background()
	ramp, err := NewRamp(ctx, Config{Addr: ln.Addr().String(), Conns: 1, Keys: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer ramp.Close()
	if err := ramp.Grow(ctx, 30); err != nil {
		t.Fatal(err)
	}
	if ramp.Idle() != 9 || ramp.Refused() != 21 {
		t.Fatalf("held %d, refused %d; want 9 and 21", ramp.Idle(), ramp.Refused())
	}
}

func TestHistogramQuantilesWithinThreePercent(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 100000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.99, 0.999} {
		want := q * 100000 * float64(time.Microsecond)
		got := float64(h.Quantile(q))
		if got < want*0.97 || got > want*1.03 {
			t.Errorf("q%.3f = %v, want %v ±3%%", q, time.Duration(got), time.Duration(want))
		}
	}
	other := NewHistogram()
	other.Record(time.Hour)
	h.Merge(other)
	if h.Count() != 100001 || h.Quantile(1) < 58*time.Minute {
		t.Errorf("merge: count %d, max %v", h.Count(), h.Quantile(1))
	}
}

func TestAnsweredReadsKindAndStatus(t *testing.T) {
	body := func(m *kvpb.KeyValueMessage) []byte { return kv.AppendFrame(nil, m)[4:] }
	cases := []struct {
		name string
		body []byte
		want uint32
		ok   bool
	}{
		{"get ok", body(&kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: "k", Value: "v"}), kv.GetResponse, true},
		{"put ok", body(&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k"}), kv.PutOrUpdate, true},
		{"wrong kind", body(&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate}), kv.GetResponse, false},
		{"not ok", body(&kvpb.KeyValueMessage{Kind: kv.GetResponse, Status: kvpb.Status_NotOk}), kv.GetResponse, false},
		{"garbage", []byte{0xff, 0xff, 0xff}, kv.GetResponse, false},
		{"empty", nil, kv.GetResponse, false},
	}
	for _, c := range cases {
		if got := answered(c.body, c.want); got != c.ok {
			t.Errorf("%s: answered = %v, want %v", c.name, got, c.ok)
		}
	}
}
