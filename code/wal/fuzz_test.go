package wal

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds the record reader any bytes. It must end (no record is read twice, and
// a length is never trusted past the header's check), and every body it returns must be
// exactly the bytes at that place, as AppendRecord would have framed them. Then the same
// bytes, cut at every length, must read as the same records up to the cut.
func FuzzReader(f *testing.F) {
	var log []byte
	for _, b := range []string{"put k v", "", "append k w"} {
		log = AppendRecord(log, []byte(b))
	}
	f.Add(log)
	f.Add(log[:len(log)-3])
	f.Add(append(bytes.Clone(log), make([]byte, 20)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := readAll(t, data)
		// Every cut of a short input; a hundred or so of a long one.
		step := max(1, len(data)/100)
		for cut := 0; cut < len(data); cut += step {
			part := readAll(t, data[:cut])
			if len(part.bodies) > len(whole.bodies) {
				t.Fatalf("cut at %d: more records than the whole", cut)
			}
			for i, b := range part.bodies {
				if !bytes.Equal(b, whole.bodies[i]) {
					t.Fatalf("cut at %d: record %d differs", cut, i)
				}
			}
		}
	})
}

type readResult struct {
	bodies [][]byte
	err    error
}

func readAll(t *testing.T, data []byte) readResult {
	var res readResult
	r := NewReader(bytes.NewReader(data))
	for {
		at := r.Offset()
		body, err := r.Next()
		if err != nil {
			var c *CorruptError
			if err != io.EOF && !errors.Is(err, ErrTorn) && !errors.As(err, &c) {
				t.Fatalf("unexpected error %v", err)
			}
			res.err = err
			return res
		}
		if framed := AppendRecord(nil, body); !bytes.Equal(data[at:r.Offset()], framed) {
			t.Fatalf("record at %d does not frame back to the bytes it came from", at)
		}
		res.bodies = append(res.bodies, bytes.Clone(body))
	}
}
