package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// history is a State that remembers every record applied, in order: replaying a log into
// it shows what was recovered, how many times, and in which order.
type history struct{ bodies []string }

func (h *history) Apply(body []byte) error {
	if bytes.HasPrefix(body, []byte("bad")) {
		return errors.New("a record the state cannot take")
	}
	h.bodies = append(h.bodies, string(body))
	return nil
}

func (h *history) Dump(emit func([]byte) error) error {
	for _, b := range h.bodies {
		if err := emit([]byte(b)); err != nil {
			return err
		}
	}
	return nil
}

func newHistory() State { return &history{} }

func open(t *testing.T, path string, opts Options) (*Dir, []string) {
	t.Helper()
	if opts.NewState == nil {
		opts.NewState = newHistory
	}
	d, state, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, state.(*history).bodies
}

func commit(t *testing.T, d *Dir, bodies ...string) {
	t.Helper()
	var batch []byte
	for _, b := range bodies {
		batch = AppendRecord(batch, []byte(b))
	}
	if err := d.Commit(batch); err != nil {
		t.Fatal(err)
	}
}

func numbered(from, to int) []string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprintf("record %d %s", i, strings.Repeat("x", i%7)))
	}
	return s
}

func TestRecordsRoundTrip(t *testing.T) {
	bodies := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{0}, 1000), []byte("last")}
	var log []byte
	for _, b := range bodies {
		log = AppendRecord(log, b)
	}
	r := NewReader(bytes.NewReader(log))
	for i, want := range bodies {
		got, err := r.Next()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %d: %q, %v", i, got, err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last record: %v, want io.EOF", err)
	}
	if r.Offset() != int64(len(log)) {
		t.Fatalf("offset %d, want %d", r.Offset(), len(log))
	}
}

// TestReopenKeepsEverything: what was committed is there after Close and Open, in order.
func TestReopenKeepsEverything(t *testing.T) {
	path := t.TempDir()
	d, got := open(t, path, Options{})
	if len(got) != 0 {
		t.Fatalf("a new directory recovered %q", got)
	}
	commit(t, d, "a", "b")
	commit(t, d, "c")
	d.Close()
	_, got = open(t, path, Options{})
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("recovered %q", got)
	}
}

// logPath is the one log file of a directory that has never compacted.
func logPath(dir string) string { return filepath.Join(dir, logName(1)) }

// TestTornTailEveryLength cuts the last record short by every length from one byte to the
// whole record: recovery keeps every record before it, drops it, and cuts the file there,
// so that what is committed next follows the good records and is recovered too.
func TestTornTailEveryLength(t *testing.T) {
	path := t.TempDir()
	d, _ := open(t, path, Options{})
	commit(t, d, numbered(0, 20)...)
	d.Close()
	whole, err := os.ReadFile(logPath(path))
	if err != nil {
		t.Fatal(err)
	}
	last := "the last record, which a crash cut"
	full := AppendRecord(bytes.Clone(whole), []byte(last))
	for cut := 1; cut <= len(full)-len(whole); cut++ {
		if err := os.WriteFile(logPath(path), full[:len(full)-cut], 0o644); err != nil {
			t.Fatal(err)
		}
		d, got := open(t, path, Options{})
		if !slices.Equal(got, numbered(0, 20)) {
			t.Fatalf("cut %d: recovered %d records; want the 20 before the torn one", cut, len(got))
		}
		commit(t, d, "after")
		d.Close()
		d, got = open(t, path, Options{})
		if len(got) != 21 || got[20] != "after" {
			t.Fatalf("cut %d: a record committed after recovery was not recovered", cut)
		}
		d.Close()
	}
}

// TestZeroTailIsTorn: a tail of zeros (blocks a file system allocated but never wrote)
// is dropped like any torn tail.
func TestZeroTailIsTorn(t *testing.T) {
	path := t.TempDir()
	d, _ := open(t, path, Options{})
	commit(t, d, "a", "b")
	d.Close()
	f, err := os.OpenFile(logPath(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 5000))
	f.Close()
	if _, got := open(t, path, Options{}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("recovered %q; want a and b", got)
	}
}

// TestFlippedByteRefuses flips each byte of every record but the last, one at a time:
// the directory must be refused, as corrupt, every time. (A flip in the last record's
// body cannot be told from a write cut short, and is dropped.)
func TestFlippedByteRefuses(t *testing.T) {
	path := t.TempDir()
	d, _ := open(t, path, Options{})
	commit(t, d, numbered(0, 5)...)
	commit(t, d, "the last")
	d.Close()
	good, err := os.ReadFile(logPath(path))
	if err != nil {
		t.Fatal(err)
	}
	lastStart := len(good) - headerLen - len("the last")
	for i := len(logMagic); i < lastStart+headerLen; i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		os.WriteFile(logPath(path), bad, 0o644)
		_, _, err := Open(path, Options{NewState: newHistory})
		if err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("byte %d flipped: Open returned %v; want a refusal as corrupt", i, err)
		}
	}
}

// TestNotOurData: a directory that is a file, holds other files, holds a file named like
// ours that is not ours, or is in use by another Dir, is refused with a one-line reason.
func TestNotOurData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "users.db"), []byte("x"), 0o644)
	impostor := t.TempDir()
	os.WriteFile(filepath.Join(impostor, logName(1)), []byte("some other program's log\n"), 0o644)
	busy := t.TempDir()
	open(t, busy, Options{})
	for _, c := range []struct{ path, want string }{
		{file, "not a directory"},
		{foreign, `not this server's data (found "users.db")`},
		{impostor, "not this server's data"},
		{busy, "in use by another process"},
	} {
		_, _, err := Open(c.path, Options{NewState: newHistory})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line saying %q", c.path, err, c.want)
		}
	}
}

// TestBadRecordRefuses: a record that reads well but that the state refuses is
// corruption too, and not skipped.
func TestBadRecordRefuses(t *testing.T) {
	path := t.TempDir()
	d, _ := open(t, path, Options{})
	commit(t, d, "a", "bad", "c")
	d.Close()
	if _, _, err := Open(path, Options{NewState: newHistory}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Open: %v; want corrupt", err)
	}
}
