package kv_test

import (
	"bytes"
	"errors"
	"testing"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// FuzzSession feeds arbitrary bytes in arbitrary pieces, writing arbitrary
// parts of the output in between, and demands the same result as feeding
// the bytes at once: the same responses, and the same verdict on the stream.
// cuts holds the piece sizes, used in turn.
func FuzzSession(f *testing.F) {
	f.Add(conversation(f), []byte{1})
	f.Add(conversation(f), []byte{3, 17, 2})
	f.Add(append(conversation(f), header(kv.MaxFrame+1)...), []byte{5, 250})
	f.Add(header(1<<32-1), []byte{2})
	f.Add([]byte{0, 0, 0, 3, 0xff, 0xff, 0xff, 0, 0}, []byte{4})
	f.Add(frames(f, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"}), []byte{})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		wantOut, wantErr := feedWhole(stream)
		gotOut, gotErr := feedInPieces(stream, cuts)
		if !errors.Is(gotErr, wantErr) {
			t.Fatalf("in pieces: err %v; at once: %v", gotErr, wantErr)
		}
		if !bytes.Equal(gotOut, wantOut) {
			t.Fatalf("in pieces the responses differ")
		}
		decodeAll(t, gotOut) // every response is a well-formed frame
	})
}

func feedWhole(stream []byte) ([]byte, error) {
	s := kv.NewSession(kv.NewStore())
	err := s.Feed(stream)
	return bytes.Clone(s.Output()), err
}

func feedInPieces(stream, cuts []byte) ([]byte, error) {
	s := kv.NewSession(kv.NewStore())
	var out []byte
	for i := 0; len(stream) > 0; i++ {
		n := len(stream)
		if len(cuts) > 0 {
			n = min(n, int(cuts[i%len(cuts)])+1)
		}
		if err := s.Feed(stream[:n]); err != nil {
			return append(out, s.Output()...), err
		}
		stream = stream[n:]
		half := len(s.Output()) / 2
		out = append(out, s.Output()[:half]...)
		s.Written(half)
	}
	return append(out, s.Output()...), nil
}
