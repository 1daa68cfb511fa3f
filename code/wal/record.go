// Package wal is a write-ahead log kept in a directory: records appended to numbered log
// files and made durable in batches, a snapshot that lets the old files go, and the
// recovery that reads them back after a crash. A record's body is opaque here; what it
// means belongs to the State the log rebuilds.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A record is a 12-byte header and a body:
//
//	0   4  N, the body's length (big-endian)
//	4   4  CRC-32C of the body
//	8   4  CRC-32C of bytes 0-7
//	12  N  the body
//
// The header has a checksum of its own so that the length is trusted only once it is known
// to be the length that was written: a damaged length would send the reader into the wrong
// bytes, or past the end, where it would pass for a record cut short.
const headerLen = 12

// MaxBody bounds a record's body. A header that claims more is damaged, and nothing is
// allocated for it.
const MaxBody = 2 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendRecord appends body to dst as one record.
func AppendRecord(dst, body []byte) []byte {
	var h [headerLen]byte
	binary.BigEndian.PutUint32(h[0:], uint32(len(body)))
	binary.BigEndian.PutUint32(h[4:], crc32.Checksum(body, castagnoli))
	binary.BigEndian.PutUint32(h[8:], crc32.Checksum(h[:8], castagnoli))
	return append(append(dst, h[:]...), body...)
}

// ErrTorn is the end of a log that a crash cut short: what follows the last whole record
// is a record that was never completely written. Recovery drops it.
var ErrTorn = errors.New("wal: torn record at the end")

// CorruptError is damage that a crash cannot explain: a record that was once written whole
// and no longer reads as it was written. Recovery refuses to go on.
type CorruptError struct {
	Offset int64 // where the damaged record starts, from the start of the records
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt record at byte %d: %s", e.Offset, e.Reason)
}

// Reader reads records one after another and tells a clean end (io.EOF) from a torn tail
// (ErrTorn) and from corruption (*CorruptError).
type Reader struct {
	r      *bufio.Reader
	offset int64 // of the next record
	body   []byte
}

func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Offset is where the next record starts: after Next fails, the length of the good part.
func (r *Reader) Offset() int64 { return r.offset }

// Next returns the next record's body, valid until the following call.
//
// A crash leaves a prefix of what was written, so a torn tail is something a prefix can
// look like: a header or a body cut off by the end of the file. A file system may also
// leave the blocks it had allocated but not yet written as zeros, so a tail of zeros is
// torn too, and so is a last record whose body fails its check (its last block never made
// it). Anything else is corruption: a damaged header with bytes after it, a record that
// fails its check with records after it.
func (r *Reader) Next() ([]byte, error) {
	var h [headerLen]byte
	got, err := io.ReadFull(r.r, h[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, ErrTorn
	case err != nil:
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[0:])
	if crc32.Checksum(h[:8], castagnoli) != binary.BigEndian.Uint32(h[8:]) {
		if zero(h[:got]) && r.restIsZero() {
			return nil, ErrTorn
		}
		return nil, r.corrupt("header checksum mismatch")
	}
	if n > MaxBody {
		return nil, r.corrupt(fmt.Sprintf("length %d over the limit", n))
	}
	r.body = grow(r.body, int(n))
	if _, err := io.ReadFull(r.r, r.body); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, ErrTorn
		}
		return nil, err
	}
	if crc32.Checksum(r.body, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
		if _, err := r.r.Peek(1); err == io.EOF {
			return nil, ErrTorn // the last record: its body's last block may not have made it
		}
		return nil, r.corrupt("body checksum mismatch")
	}
	r.offset += headerLen + int64(n)
	return r.body, nil
}

func (r *Reader) corrupt(reason string) error {
	return &CorruptError{Offset: r.offset, Reason: reason}
}

// restIsZero reads to the end and reports whether every byte was zero.
func (r *Reader) restIsZero() bool {
	var buf [4096]byte
	for {
		n, err := r.r.Read(buf[:])
		if !zero(buf[:n]) {
			return false
		}
		if err != nil {
			return err == io.EOF
		}
	}
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// grow returns b resized to n bytes, reusing its memory when it is large enough.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
