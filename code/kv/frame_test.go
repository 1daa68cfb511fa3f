package kv_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// frames encodes messages back to back, as a client would send them.
func frames(t testing.TB, msgs ...*kvpb.KeyValueMessage) []byte {
	t.Helper()
	var b []byte
	for _, m := range msgs {
		n := len(b)
		b = kv.AppendFrame(b, m)
		if len(b) == n {
			t.Fatalf("AppendFrame refused %v", m)
		}
	}
	return b
}

// decodeAll splits a byte stream into frames and decodes every one, failing
// on a length that does not match or a body that does not decode.
func decodeAll(t testing.TB, stream []byte) []*kvpb.KeyValueMessage {
	t.Helper()
	var msgs []*kvpb.KeyValueMessage
	r := bytes.NewReader(stream)
	for {
		body, err := kv.ReadFrame(r, nil)
		if err == io.EOF {
			return msgs
		}
		if err != nil {
			t.Fatalf("reading frame %d: %v", len(msgs), err)
		}
		m := new(kvpb.KeyValueMessage)
		if err := proto.Unmarshal(body, m); err != nil {
			t.Fatalf("decoding frame %d: %v", len(msgs), err)
		}
		msgs = append(msgs, m)
	}
}

func header(n uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, n)
}

func TestAppendFrameThenReadFrame(t *testing.T) {
	want := []*kvpb.KeyValueMessage{
		{Kind: kv.PutOrUpdate, Key: "k", Value: "v"},
		{Kind: kv.Get, Key: "k"},
		{}, // every field zero: a valid, empty body
	}
	stream := frames(t, want...)
	if n := binary.BigEndian.Uint32(stream); int(n) != proto.Size(want[0]) {
		t.Fatalf("first length %d, want %d", n, proto.Size(want[0]))
	}
	got := decodeAll(t, stream)
	if len(got) != len(want) {
		t.Fatalf("decoded %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("frame %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestAppendFrameKeepsDst(t *testing.T) {
	dst := []byte("prefix")
	out := kv.AppendFrame(dst, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"})
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("AppendFrame overwrote dst: %q", out)
	}
	if got := decodeAll(t, out[len("prefix"):]); len(got) != 1 || got[0].Key != "k" {
		t.Fatalf("decoded %v", got)
	}
}

// largest is a put whose body is exactly MaxFrame bytes.
func largest() *kvpb.KeyValueMessage {
	m := &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "big"}
	m.Value = strings.Repeat("v", kv.MaxFrame-proto.Size(m)-4)
	return m
}

func TestAppendFrameRefusesWhatAPeerWouldReject(t *testing.T) {
	m := largest()
	if proto.Size(m) != kv.MaxFrame {
		t.Fatalf("test setup: body is %d bytes, want MaxFrame", proto.Size(m))
	}
	if out := kv.AppendFrame(nil, m); len(out) != 4+kv.MaxFrame {
		t.Fatalf("a MaxFrame body gave %d bytes", len(out))
	}
	tooBig := &kvpb.KeyValueMessage{Kind: m.Kind, Key: m.Key, Value: m.Value + "v"}
	notUTF8 := &kvpb.KeyValueMessage{Kind: kv.Get, Key: "\xff"}
	for _, m := range []*kvpb.KeyValueMessage{tooBig, notUTF8} {
		if out := kv.AppendFrame([]byte("x"), m); string(out) != "x" {
			t.Errorf("AppendFrame appended %d bytes for an unsendable message", len(out)-1)
		}
	}
}

func TestReadFrameRefusesOversizeBeforeAllocating(t *testing.T) {
	for _, n := range []uint32{kv.MaxFrame + 1, 1<<32 - 1} {
		stream := append(header(n), "some body bytes"...)
		buf := make([]byte, 0, 64)
		var err error
		allocs := testing.AllocsPerRun(10, func() {
			_, err = kv.ReadFrame(bytes.NewReader(stream), buf)
		})
		if !errors.Is(err, kv.ErrFrameTooLarge) {
			t.Errorf("length %d: err %v, want ErrFrameTooLarge", n, err)
		}
		// One allocation is the bytes.Reader; a body would be a second.
		if allocs > 1 {
			t.Errorf("length %d: %v allocations, want at most the reader's", n, allocs)
		}
	}
}

func TestReadFrameAcceptsMaxFrame(t *testing.T) {
	stream := frames(t, largest())
	body, err := kv.ReadFrame(bytes.NewReader(stream), nil)
	if err != nil || len(body) != kv.MaxFrame {
		t.Fatalf("got %d bytes, %v; want MaxFrame bytes", len(body), err)
	}
}

func TestReadFrameReusesBuf(t *testing.T) {
	stream := frames(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"})
	buf := make([]byte, 0, 64)
	body, err := kv.ReadFrame(bytes.NewReader(stream), buf)
	if err != nil {
		t.Fatal(err)
	}
	if &body[:1][0] != &buf[:1][0] {
		t.Error("ReadFrame allocated although buf was large enough")
	}
}

func TestReadFrameTruncated(t *testing.T) {
	whole := frames(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "key"})
	for cut := 0; cut < len(whole); cut++ {
		_, err := kv.ReadFrame(bytes.NewReader(whole[:cut]), nil)
		want := io.ErrUnexpectedEOF
		if cut == 0 {
			want = io.EOF // the stream ended cleanly between frames
		}
		if err != want {
			t.Errorf("cut at %d: err %v, want %v", cut, err, want)
		}
	}
}
