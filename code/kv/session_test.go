package kv_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// conversation is a stream of requests covering every kind of answer.
func conversation(t testing.TB) []byte {
	return frames(t,
		&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "missing"},
		&kvpb.KeyValueMessage{Kind: 42},
		&kvpb.KeyValueMessage{},
	)
}

// feedAll feeds the pieces to a fresh session through one reused buffer
// (scribbled over after each Feed, as a server's read buffer would be) and
// returns everything the session wanted written.
func feedAll(t testing.TB, pieces ...[]byte) []byte {
	t.Helper()
	s := kv.NewSession(kv.NewStore())
	var scratch, written []byte
	for _, p := range pieces {
		scratch = append(scratch[:0], p...)
		if err := s.Feed(scratch); err != nil {
			t.Fatalf("Feed: %v", err)
		}
		for i := range scratch {
			scratch[i] = 0xAA
		}
		written = append(written, s.Output()...)
		s.Written(len(s.Output()))
	}
	return written
}

func TestSessionManyFramesInOneFeed(t *testing.T) {
	got := decodeAll(t, feedAll(t, conversation(t)))
	want := []*kvpb.KeyValueMessage{
		{Kind: kv.PutOrUpdate, Key: "k"},
		{Kind: kv.GetResponse, Key: "k", Value: "v"},
		{Kind: kv.GetResponse, Key: "missing", Status: notOk},
		{Kind: 42, Status: notOk},
		{Kind: 0, Status: notOk},
	}
	if len(got) != len(want) {
		t.Fatalf("%d responses, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("response %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestSessionSplitAnywhere cuts the stream at every pair of offsets: a frame
// may arrive in three reads, split in its header, its body, or between
// frames, and the answers must not change.
func TestSessionSplitAnywhere(t *testing.T) {
	stream := conversation(t)
	want := feedAll(t, stream)
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			got := feedAll(t, stream[:i], stream[i:j], stream[j:])
			if !bytes.Equal(got, want) {
				t.Fatalf("split at %d and %d: responses differ", i, j)
			}
		}
	}
}

func TestSessionOneByteAtATime(t *testing.T) {
	stream := conversation(t)
	var pieces [][]byte
	for i := range stream {
		pieces = append(pieces, stream[i:i+1])
	}
	if !bytes.Equal(feedAll(t, pieces...), feedAll(t, stream)) {
		t.Fatal("byte-at-a-time feeding changed the responses")
	}
}

func TestSessionLargestFrameInChunks(t *testing.T) {
	stream := frames(t, largest(), &kvpb.KeyValueMessage{Kind: kv.Get, Key: "big"})
	var pieces [][]byte
	for len(stream) > 0 {
		n := min(len(stream), 64<<10-3) // reads that never line up with frames
		pieces = append(pieces, stream[:n])
		stream = stream[n:]
	}
	got := decodeAll(t, feedAll(t, pieces...))
	if len(got) != 2 || got[1].Value != largest().Value {
		t.Fatalf("got %d responses; the get did not return the large value", len(got))
	}
}

// TestSessionOversizeLength feeds a length over MaxFrame, whole and split in
// its header, and checks the session refuses it without allocating anything
// near the claimed size.
func TestSessionOversizeLength(t *testing.T) {
	for _, n := range []uint32{kv.MaxFrame + 1, 1<<32 - 1} {
		h := header(n)
		for cut := 0; cut <= len(h); cut++ {
			s := kv.NewSession(kv.NewStore())
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := s.Feed(h[:cut])
			if err == nil {
				err = s.Feed(append(h[cut:], "body"...))
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(err, kv.ErrFrameTooLarge) {
				t.Fatalf("length %d cut at %d: err %v, want ErrFrameTooLarge", n, cut, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<10 {
				t.Errorf("length %d cut at %d: allocated %d bytes", n, cut, grew)
			}
			if err := s.Feed(conversation(t)); !errors.Is(err, kv.ErrFrameTooLarge) {
				t.Errorf("after the error Feed returned %v; the session must stay closed", err)
			}
		}
	}
}

// TestSessionKeepsEarlierResponses: frames before a bad length are still
// answered, in case the server wants to write them before it closes.
func TestSessionKeepsEarlierResponses(t *testing.T) {
	s := kv.NewSession(kv.NewStore())
	err := s.Feed(append(conversation(t), header(kv.MaxFrame+1)...))
	if !errors.Is(err, kv.ErrFrameTooLarge) {
		t.Fatalf("err %v", err)
	}
	if got := decodeAll(t, s.Output()); len(got) != 5 {
		t.Fatalf("%d responses before the bad frame, want 5", len(got))
	}
}

func TestSessionPartialWrites(t *testing.T) {
	s := kv.NewSession(kv.NewStore())
	var written []byte
	for range 3 {
		if err := s.Feed(conversation(t)); err != nil {
			t.Fatal(err)
		}
		// Write a third of what is pending, as a full socket buffer would
		// let a non-blocking server do.
		n := len(s.Output()) / 3
		written = append(written, s.Output()[:n]...)
		s.Written(n)
	}
	written = append(written, s.Output()...)
	s.Written(len(s.Output()))
	if len(s.Output()) != 0 {
		t.Fatal("Output not empty after writing all of it")
	}
	if got := decodeAll(t, written); len(got) != 15 {
		t.Fatalf("%d responses, want 15", len(got))
	}
}

func TestSessionWrittenTooMuchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Written past Output did not panic")
		}
	}()
	s := kv.NewSession(kv.NewStore())
	s.Written(1)
}

// TestSessionAllocations holds the session to its budget: a get of a
// stored key costs one allocation (the decoded key string), whether the frame
// arrives whole or in two pieces.
func TestSessionAllocations(t *testing.T) {
	s := kv.NewSession(kv.NewStore())
	put := frames(t, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "key", Value: "value"})
	get := frames(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "key"})
	if err := s.Feed(put); err != nil {
		t.Fatal(err)
	}
	s.Written(len(s.Output()))
	for _, split := range []int{len(get), 2, 7} {
		allocs := testing.AllocsPerRun(100, func() {
			if err := s.Feed(get[:split]); err != nil {
				t.Fatal(err)
			}
			if err := s.Feed(get[split:]); err != nil {
				t.Fatal(err)
			}
			s.Written(len(s.Output()))
		})
		if allocs > 1 {
			t.Errorf("split at %d: %v allocations per get, want at most 1", split, allocs)
		}
	}
}
