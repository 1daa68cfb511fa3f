package kv

import (
	"encoding/binary"
	"slices"

	"flavors/code/kv/kvpb"
)

// keepBuffer is the largest buffer a Session keeps once it is empty. A
// connection that once moved a 1 MiB value should not pin 1 MiB for the rest
// of its life; ordinary requests fit well inside this.
const keepBuffer = 64 << 10

// Session is the protocol side of one connection, with no I/O in it: bytes
// received go in, framed responses come out in request order. Every server
// mode uses it.
type Session struct {
	store   *Store
	partial []byte // the start of a frame that has not fully arrived
	out     []byte // framed responses; out[:sent] is already written
	sent    int
	err     error // sticky: once the peer broke the protocol, stay broken

	// Reused for every request, so handling one allocates only what the
	// decoded strings need.
	req, resp kvpb.KeyValueMessage
}

func NewSession(s *Store) *Session {
	return &Session{store: s}
}

// Feed takes bytes read from the peer (split anywhere, many frames at once);
// each complete frame is handled and its response appended to the output.
// ErrFrameTooLarge → close. p is not retained: the caller may reuse it.
func (s *Session) Feed(p []byte) error {
	if s.err != nil {
		return s.err
	}
	s.compactOutput()
	if len(s.partial) > 0 {
		var err error
		if p, err = s.completePartial(p); err != nil {
			return s.fail(err)
		}
		if len(s.partial) > 0 {
			return nil // p went into the partial frame, which is still short
		}
	}
	rest, err := s.handleFrames(p)
	if err != nil {
		return s.fail(err)
	}
	s.partial = append(s.partial, rest...)
	return nil
}

// Output returns the responses not yet written. The slice is valid until the
// next Feed or Written.
func (s *Session) Output() []byte {
	return s.out[s.sent:]
}

// Written records that the first n bytes of Output() went out.
func (s *Session) Written(n int) {
	if n < 0 || n > len(s.out)-s.sent {
		panic("kv: Session.Written beyond Output")
	}
	s.sent += n
	if s.sent == len(s.out) {
		s.out, s.sent = shrink(s.out), 0
	}
}

func (s *Session) fail(err error) error {
	s.err = err
	s.partial = nil
	return err
}

// handleFrames handles every whole frame at the front of p in place, without
// copying it, and returns what is left: the beginning of a frame, if any.
func (s *Session) handleFrames(p []byte) ([]byte, error) {
	for len(p) >= headerLen {
		n, err := bodyLen(p)
		if err != nil {
			return nil, err
		}
		if len(p) < headerLen+n {
			break
		}
		s.out = handle(s.out, s.store, p[headerLen:headerLen+n], &s.req, &s.resp)
		p = p[headerLen+n:]
	}
	return p, nil
}

// completePartial moves bytes from p into the buffered partial frame, no more
// than that one frame needs, handles the frame once it is whole, and returns
// the rest of p.
func (s *Session) completePartial(p []byte) ([]byte, error) {
	for {
		need := headerLen
		if len(s.partial) >= headerLen {
			n, err := bodyLen(s.partial)
			if err != nil {
				return nil, err
			}
			need += n
			if len(s.partial) == need {
				s.out = handle(s.out, s.store, s.partial[headerLen:], &s.req, &s.resp)
				s.partial = shrink(s.partial)
				return p, nil
			}
			// The length is known and allowed: make room once, not by
			// doubling as the body trickles in.
			s.partial = slices.Grow(s.partial, need-len(s.partial))
		}
		if len(p) == 0 {
			return p, nil
		}
		k := min(need-len(s.partial), len(p))
		s.partial = append(s.partial, p[:k]...)
		p = p[k:]
	}
}

// bodyLen reads a frame's length and refuses it before anyone allocates it.
func bodyLen(header []byte) (int, error) {
	n := binary.BigEndian.Uint32(header)
	if n > MaxFrame {
		return 0, ErrFrameTooLarge
	}
	return int(n), nil
}

// compactOutput drops the written prefix of the output when that is cheap:
// when fewer bytes are left to move than would be reclaimed.
func (s *Session) compactOutput() {
	if s.sent == 0 || len(s.out)-s.sent > s.sent {
		return
	}
	s.out = s.out[:copy(s.out, s.out[s.sent:])]
	s.sent = 0
}

// shrink empties b, keeping its memory only if it is small.
func shrink(b []byte) []byte {
	if cap(b) > keepBuffer {
		return nil
	}
	return b[:0]
}
