package conformance

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// A check is one promise of the contract, tested against a running server.
type check struct {
	name string
	// ownServer: the check measures or stops the process, so it gets a
	// server of its own instead of sharing one with the other checks.
	ownServer bool
	run       func(t *testing.T, s *Server)
}

var checks = []check{
	{"put-then-get", false, putThenGet},
	{"missing-key", false, missingKey},
	{"unknown-kind", false, unknownKind},
	{"undecodable-body", false, undecodableBody},
	{"pipelined-1000", false, pipelined},
	{"one-byte-at-a-time", false, oneByteAtATime},
	{"largest-frame", false, largestFrame},
	{"odd-splits", false, oddSplits},
	{"half-close", false, halfClose},
	{"reset-mid-frame", false, resetMidFrame},
	{"concurrent-clients", false, concurrentClients},
	{"oversize-length", true, oversizeLength},
	{"no-fd-leak", true, noFDLeak},
	{"sigterm", true, exitsOn(syscall.SIGTERM)},
	{"sigint", true, exitsOn(syscall.SIGINT)},
}

// Run checks the server program bin against the whole contract, one
// parallel subtest per check. Checks on the shared server use keys named
// after themselves, so they cannot disturb each other.
func Run(t *testing.T, bin string) {
	shared := Start(t, bin)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := shared
			if c.ownServer {
				s = Start(t, bin)
			}
			c.run(t, s)
		})
	}
}

func putThenGet(t *testing.T, s *Server) {
	key := t.Name()
	c := client(t, s)
	ask(t, c, put(key, "one"), putOk(key))
	ask(t, c, get(key), found(key, "one"))
	ask(t, c, put(key, "two"), putOk(key))
	ask(t, c, get(key), found(key, "two"))
	// Closed before the next connection: a single-threaded blocking server
	// serves the next client only when this one is gone.
	c.Close()
	askOnce(t, s, get(key), found(key, "two"))
}

func missingKey(t *testing.T, s *Server) {
	key := t.Name()
	askOnce(t, s, get(key), notFound(key))
}

func unknownKind(t *testing.T, s *Server) {
	key := t.Name()
	c := client(t, s)
	ask(t, c, &kvpb.KeyValueMessage{Kind: 7, Key: key, Value: "v"}, notOk(7))
	ask(t, c, &kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: key}, notOk(kv.GetResponse))
	ask(t, c, &kvpb.KeyValueMessage{Kind: 1<<32 - 1}, notOk(1<<32-1))
	ask(t, c, &kvpb.KeyValueMessage{}, notOk(0)) // an empty body is a message of kind 0
	// The connection still works, and kind 7 stored nothing.
	ask(t, c, get(key), notFound(key))
	ask(t, c, put(key, "v"), putOk(key))
	ask(t, c, get(key), found(key, "v"))
}

func undecodableBody(t *testing.T, s *Server) {
	key := t.Name()
	stream := rawFrame([]byte{0xff, 0xff, 0xff})                // no such field encoding
	stream = append(stream, rawFrame([]byte{0x18})...)          // kind, with its value missing
	stream = append(stream, rawFrame([]byte{0x0a, 1, 0xff})...) // a key that is not UTF-8
	stream = append(stream, frames(put(key, "v"), get(key))...)
	got := exchange(t, dial(t, s), [][]byte{stream}, 5)
	expectAnswers(t, got, []*kvpb.KeyValueMessage{
		notOk(0), notOk(0), notOk(0), putOk(key), found(key, "v"),
	})
}

func pipelined(t *testing.T, s *Server) {
	var stream []byte
	var want []*kvpb.KeyValueMessage
	for i := range 500 {
		key, value := fmt.Sprintf("%s/%d", t.Name(), i), fmt.Sprint(i)
		stream = append(stream, frames(put(key, value), get(key))...)
		want = append(want, putOk(key), found(key, value))
	}
	expectAnswers(t, exchange(t, dial(t, s), [][]byte{stream}, 1000), want)
}

func oneByteAtATime(t *testing.T, s *Server) {
	key := t.Name()
	stream := frames(put(key, "slow"), get(key), get(key+"/missing"))
	var writes [][]byte
	for i := range stream {
		writes = append(writes, stream[i:i+1])
	}
	conn := dial(t, s)
	conn.SetNoDelay(true) // each byte its own segment, as far as TCP allows
	expectAnswers(t, exchange(t, conn, writes, 3), []*kvpb.KeyValueMessage{
		putOk(key), found(key, "slow"), notFound(key + "/missing"),
	})
}

// largestFrame puts and gets a value whose frames are exactly MaxFrame
// long: the largest the contract allows, in both directions.
func largestFrame(t *testing.T, s *Server) {
	key := t.Name()
	req := put(key, "")
	req.Value = strings.Repeat("x", kv.MaxFrame-proto.Size(req)-4)
	if proto.Size(req) != kv.MaxFrame {
		t.Fatalf("test setup: body is %d bytes, want MaxFrame", proto.Size(req))
	}
	c := client(t, s)
	ask(t, c, req, putOk(key))
	ask(t, c, get(key), found(key, req.Value))
}

// oddSplits writes a few hundred frames of assorted sizes in pieces whose
// sizes are unrelated to the frames: some pieces hold many frames, some
// end inside a header, some inside a body.
func oddSplits(t *testing.T, s *Server) {
	var stream []byte
	var want []*kvpb.KeyValueMessage
	for i := range 300 {
		key := fmt.Sprintf("%s/%d", t.Name(), i)
		value := strings.Repeat(string(rune('a'+i%26)), i*37%2000)
		stream = append(stream, frames(put(key, value), get(key))...)
		want = append(want, putOk(key), found(key, value))
	}
	sizes := []int{1, 3, 2, 7, 4093, 5, 11, 1021, 13, 65521}
	var writes [][]byte
	for i := 0; len(stream) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(stream))
		writes = append(writes, stream[:n])
		stream = stream[n:]
	}
	expectAnswers(t, exchange(t, dial(t, s), writes, len(want)), want)
}

// halfClose sends its requests and shuts down its sending side: the server
// reads EOF after them, and must still answer all of them before it closes.
func halfClose(t *testing.T, s *Server) {
	key := t.Name()
	conn := dial(t, s)
	if _, err := conn.Write(frames(put(key, "v"), get(key), get(key+"/missing"))); err != nil {
		t.Fatal(err)
	}
	if err := conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := readAnswers(conn, 3)
	if err != nil {
		t.Fatalf("after a half-close, answer %d of 3: %v", len(got)+1, err)
	}
	expectAnswers(t, got, []*kvpb.KeyValueMessage{putOk(key), found(key, "v"), notFound(key + "/missing")})
	expectClosed(t, conn)
}

// resetMidFrame has clients vanish with a TCP reset at awkward moments, then
// checks that the server still serves and stored nothing half-received.
func resetMidFrame(t *testing.T, s *Server) {
	key := t.Name() + "/never-stored"
	half := frames(put(key, "never"))
	half = half[:len(half)/2]
	var many []byte
	for range 200 {
		many = append(many, frames(get(key))...)
	}
	for _, sent := range [][]byte{
		half, // inside a frame
		many, // answers pending that nobody will read
		nil,  // before saying anything
	} {
		conn := dial(t, s)
		if _, err := conn.Write(sent); err != nil {
			t.Fatal(err)
		}
		reset(conn)
	}
	askOnce(t, s, get(key), notFound(key))
}

// concurrentClients runs 50 clients at once, each putting and getting 200
// keys of its own, then reads a key of every client on a fresh connection:
// a put is visible to every later get, whatever the connection.
func concurrentClients(t *testing.T, s *Server) {
	const clients, pairs = 50, 200
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := putAndGet(s, fmt.Sprintf("%s/%d", t.Name(), i), pairs); err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	c := client(t, s)
	for i := range clients {
		key := fmt.Sprintf("%s/%d/%d", t.Name(), i, pairs-1)
		ask(t, c, get(key), found(key, key))
	}
}

func putAndGet(s *Server, prefix string, pairs int) error {
	conn, err := connect(s)
	if err != nil {
		return err
	}
	c := kv.NewClient(conn)
	defer c.Close()
	for j := range pairs {
		key := fmt.Sprintf("%s/%d", prefix, j)
		if err := c.Put(key, key); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if v, err := c.Get(key); err != nil || v != key {
			return fmt.Errorf("get %s = %q, %v", key, v, err)
		}
	}
	return nil
}

// oversizeLength claims bodies over MaxFrame, up to almost 4 GiB, and expects
// the server to close just those connections without allocating the claim.
// Memory is read from /proc: VmSize would grow by the claim even if the
// server never touched the pages (untouched pages cost no resident memory),
// VmRSS if it did. The limits are far below the claim and far above any
// honest server's noise.
func oversizeLength(t *testing.T, s *Server) {
	key := t.Name()
	c := client(t, s)
	ask(t, c, put(key, "before"), putOk(key))
	c.Close()
	before := s.procStatus(t, "VmSize", "VmRSS")

	huge := dial(t, s)
	if _, err := huge.Write(append(header(1<<32-1), make([]byte, 64<<10)...)); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, huge)
	after := s.procStatus(t, "VmSize", "VmRSS")

	// Just over the limit, the header split across two writes.
	over := dial(t, s)
	for _, part := range [][]byte{header(kv.MaxFrame + 1)[:2], header(kv.MaxFrame + 1)[2:]} {
		if _, err := over.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	expectClosed(t, over)

	if grew := after["VmSize"] - before["VmSize"]; grew > 1<<20 { // kB: 1 GiB
		t.Errorf("VmSize grew by %d MiB after a client claimed a 4 GiB frame", grew>>10)
	}
	if grew := after["VmRSS"] - before["VmRSS"]; grew > 256<<10 { // kB: 256 MiB
		t.Errorf("VmRSS grew by %d MiB after a client claimed a 4 GiB frame", grew>>10)
	}
	// Everything else is as it was.
	askOnce(t, s, get(key), found(key, "before"))
}

// noFDLeak lets clients leave in every way the contract allows, then waits
// for the server's descriptor count to return to what it was before any of
// them came. The server closes descriptors on its own schedule (a thread per
// connection notices a reset whenever it next reads), so the check polls
// /proc until the count is back, and fails only if it never is.
func noFDLeak(t *testing.T, s *Server) {
	baseline := s.openFiles(t)
	key := t.Name()
	goodbyes := []func(){
		func() { askOnce(t, s, put(key, "v"), putOk(key)) }, // a polite client
		func() { dial(t, s).Close() },                       // connects, says nothing
		func() { reset(dial(t, s)) },                        // connects, resets
		func() { halfClose(t, s) },                          // half-closes, reads, waits for close
		func() { resetMidFrame(t, s) },                      // resets inside a frame, and more
		func() { oversizeWithoutMemory(t, s) },              // is cut off for a huge frame
		func() { // closes in the middle of a header
			conn := dial(t, s)
			conn.Write(header(10)[:2])
			conn.Close()
		},
	}
	for _, goodbye := range goodbyes {
		goodbye()
	}
	deadline := time.Now().Add(ioTimeout)
	for {
		now := s.openFiles(t)
		if len(now) == len(baseline) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d open descriptors %v after every client left, %d before:\nbefore: %v\nafter:  %v",
				len(now), ioTimeout, len(baseline), baseline, now)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func oversizeWithoutMemory(t *testing.T, s *Server) {
	conn := dial(t, s)
	if _, err := conn.Write(header(1<<32 - 1)); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, conn)
}

// exitsOn checks that sig ends the server with status 0 even while a client
// is connected and idle (a blocking server is then asleep in read), and that
// nothing but the "listening on" line ever reached standard output.
func exitsOn(sig syscall.Signal) func(*testing.T, *Server) {
	return func(t *testing.T, s *Server) {
		key := t.Name()
		ask(t, client(t, s), put(key, "v"), putOk(key))
		if err := s.Signal(sig); err != nil {
			t.Fatal(err)
		}
		state := s.Exited(t)
		if !state.Success() {
			t.Errorf("after %v the server ended with %v, want exit status 0; stderr:\n%s", sig, state, s.Stderr())
		}
		if out, want := s.stdout.String(), "listening on "+s.Addr+"\n"; out != want {
			t.Errorf("standard output was %q, want only %q", out, want)
		}
	}
}
