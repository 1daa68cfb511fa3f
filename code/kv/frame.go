// Package kv is the part of the key-value server that every I/O model shares:
// the wire codec, the store, the request handler, the protocol session, the
// client, and the plumbing of a server program.
package kv

import (
	"encoding/binary"
	"errors"
	"io"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv/kvpb"
)

// Kinds on the wire.
const (
	Get         = 1
	GetResponse = 2
	PutOrUpdate = 3
)

// MaxFrame is the largest body a server accepts. A peer that announces a
// larger one is cut off before a single byte of it is buffered.
const MaxFrame = 1 << 20

// headerLen is the size of the big-endian length in front of every body.
const headerLen = 4

// ErrFrameTooLarge reports a frame whose length is over MaxFrame.
var ErrFrameTooLarge = errors.New("kv: frame longer than MaxFrame")

// AppendFrame appends m, encoded and prefixed with its 4-byte big-endian
// length, to dst. If m cannot be sent (a string that is not UTF-8, or a body
// over MaxFrame), dst comes back unchanged: a frame the peer would reject is
// never written.
func AppendFrame(dst []byte, m *kvpb.KeyValueMessage) []byte {
	out, err := appendFrame(dst, m)
	if err != nil {
		return dst
	}
	return out
}

// appendFrame encodes m straight into dst behind a reserved header, then
// fills the header in, so a frame costs no buffer of its own.
func appendFrame(dst []byte, m *kvpb.KeyValueMessage) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - headerLen
	if n > MaxFrame {
		return dst[:start], ErrFrameTooLarge
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// ReadFrame reads one frame body from r (for blocking readers: the client,
// gonet). It returns ErrFrameTooLarge before allocating an oversized body.
// buf is reused when large enough. A stream that ends between frames gives
// io.EOF; one that ends inside a frame gives io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	if cap(buf) < headerLen {
		buf = make([]byte, 0, 512)
	}
	header := buf[:headerLen]
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(header)
	if n > MaxFrame {
		return nil, ErrFrameTooLarge
	}
	if uint32(cap(buf)) < n {
		buf = make([]byte, n)
	}
	body := buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}
