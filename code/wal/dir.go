package wal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// State is what the log rebuilds: its records, applied in order, and a way to write itself
// out as records whose replay gives the same state (the snapshot).
type State interface {
	Apply(body []byte) error
	Dump(emit func(body []byte) error) error
}

// Options says how a Dir behaves.
type Options struct {
	NewState  func() State  // an empty state: recovery fills one, each compaction another
	CompactAt int64         // start a new log and compact the old ones once a log is this long; 0: never
	SlowDisk  time.Duration // added to every commit, to show what a slow disk does
}

// Every file a Dir writes starts with a line that says what it is, so that a directory of
// some other program's files is never taken for ours.
const (
	logMagic      = "flavors-kv log 1\n"
	snapshotMagic = "flavors-kv snapshot 1\n"
)

// Dir is a data directory:
//
//	snapshot.000007   the state as of the end of log 6 (optional)
//	log.000007        records after it, oldest first
//	log.000008        the log being written
//
// A file is created under a name ending in .tmp and renamed once it is complete and on
// disk, so any other name is a whole file. Commit is not safe for concurrent use: one
// goroutine (the log writer) commits.
type Dir struct {
	path string
	dir  *os.File // the directory itself: fsync'd after names change, and locked
	opts Options

	log     *os.File // the log being written, open for appending
	logNum  int
	logSize int64

	// compacting is set while a compaction runs, and no second one starts meanwhile.
	// first is the oldest log still needed, the one the newest snapshot names: the
	// compaction that ends moves it on, before it clears compacting.
	compacting atomic.Bool
	first      int

	// after is called after each step of a new log or a compaction has reached the disk.
	// Tests stop there, to see what a crash at that point would leave.
	after func(step string)
}

func logName(n int) string      { return fmt.Sprintf("log.%06d", n) }
func snapshotName(n int) string { return fmt.Sprintf("snapshot.%06d", n) }

// Open locks the directory at path (creating it if need be), recovers the state its files
// hold, and readies the last log for appending. A directory that holds something other
// than our files, or files damaged before their end, is refused with an error that says
// why, in one line.
func Open(path string, opts Options) (*Dir, State, error) {
	d := &Dir{path: path, opts: opts, after: func(string) {}}
	if err := d.lock(); err != nil {
		return nil, nil, err
	}
	state, err := d.recover()
	if err != nil {
		d.dir.Close()
		return nil, nil, err
	}
	return d, state, nil
}

// lock opens the directory and takes an exclusive flock on it: two servers appending to
// the same log would each overwrite the other's records.
func (d *Dir) lock() error {
	if err := os.MkdirAll(d.path, 0o755); err != nil {
		return err
	}
	dir, err := os.Open(d.path)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(dir.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		dir.Close()
		if err == unix.EWOULDBLOCK {
			return fmt.Errorf("%s: in use by another process", d.path)
		}
		return fmt.Errorf("%s: flock: %v", d.path, err)
	}
	d.dir = dir
	return nil
}

// files is what a directory listing says about our files.
type files struct {
	snapshots []int // numbers, ascending
	logs      []int
	temps     []string
}

func (d *Dir) list() (files, error) {
	var f files
	names, err := d.dir.Readdirnames(-1)
	if err != nil {
		return f, err
	}
	for _, name := range names {
		if strings.HasSuffix(name, ".tmp") {
			f.temps = append(f.temps, name)
			continue
		}
		kind, num, ok := strings.Cut(name, ".")
		n, err := strconv.Atoi(num)
		switch {
		case !ok || err != nil || n < 1 || name != fmt.Sprintf("%s.%06d", kind, n):
			return f, fmt.Errorf("%s: not this server's data (found %q)", d.path, name)
		case kind == "log":
			f.logs = append(f.logs, n)
		case kind == "snapshot":
			f.snapshots = append(f.snapshots, n)
		default:
			return f, fmt.Errorf("%s: not this server's data (found %q)", d.path, name)
		}
	}
	slices.Sort(f.snapshots)
	slices.Sort(f.logs)
	return f, nil
}

// recover rebuilds the state: the newest snapshot, then every log from the one it names.
// What an interrupted compaction left behind (temporary files, snapshots and logs the
// newest snapshot replaces) is removed first.
func (d *Dir) recover() (State, error) {
	f, err := d.list()
	if err != nil {
		return nil, err
	}
	first := 1 // the first log to replay
	if len(f.snapshots) > 0 {
		first = f.snapshots[len(f.snapshots)-1]
	}
	if len(f.snapshots) > 0 && !slices.Contains(f.logs, first) {
		// Compaction starts the log after the ones it replaces before it writes the
		// snapshot, so the snapshot's log must be there.
		return nil, fmt.Errorf("%s: corrupt: %s is missing", d.path, logName(first))
	}
	var stale []string
	stale = append(stale, f.temps...)
	for _, n := range f.snapshots[:max(0, len(f.snapshots)-1)] {
		stale = append(stale, snapshotName(n))
	}
	for len(f.logs) > 0 && f.logs[0] < first {
		stale = append(stale, logName(f.logs[0]))
		f.logs = f.logs[1:]
	}
	if err := d.remove(stale); err != nil {
		return nil, err
	}
	for i, n := range f.logs {
		if n != first+i {
			return nil, fmt.Errorf("%s: corrupt: %s is missing", d.path, logName(first+i))
		}
	}

	d.first = first
	state := d.opts.NewState()
	if len(f.snapshots) > 0 {
		if err := d.loadSnapshot(first, state); err != nil {
			return nil, err
		}
	}
	if len(f.logs) == 0 {
		// A new directory, or a crash before its first log was complete.
		if err := d.createLog(first); err != nil {
			return nil, err
		}
		return state, nil
	}
	last := f.logs[len(f.logs)-1]
	for _, n := range f.logs {
		size, err := d.replay(n, n == last, state)
		if err != nil {
			return nil, err
		}
		if n == last {
			if err := d.openLog(n, size); err != nil {
				return nil, err
			}
		}
	}
	if len(f.logs) > 1 {
		d.startCompaction(first, last-1) // one was interrupted: finish it
	}
	return state, nil
}

// replay applies the records of log n to state and returns the length of its good part. A
// torn tail is allowed in the last log only, and cut off there; every other log was
// complete and on disk before the next one was started.
func (d *Dir) replay(n int, last bool, state State) (int64, error) {
	name := logName(n)
	file, err := os.Open(filepath.Join(d.path, name))
	if err != nil {
		return 0, err
	}
	defer file.Close()
	r, err := d.records(file, logMagic, name)
	if err != nil {
		return 0, err
	}
	for {
		body, err := r.Next()
		switch {
		case err == io.EOF:
			return int64(len(logMagic)) + r.Offset(), nil
		case errors.Is(err, ErrTorn) && last:
			good := int64(len(logMagic)) + r.Offset()
			log.Printf("%s: torn record at byte %d dropped", name, good)
			return good, nil
		case err != nil:
			return 0, d.corrupt(name, logMagic, r, err)
		}
		if err := state.Apply(body); err != nil {
			return 0, d.corrupt(name, logMagic, r, err)
		}
	}
}

// loadSnapshot applies snapshot n. It ends with an empty record; anything short of that
// is corruption, since a snapshot is renamed into place only once it is whole and on disk.
func (d *Dir) loadSnapshot(n int, state State) error {
	name := snapshotName(n)
	file, err := os.Open(filepath.Join(d.path, name))
	if err != nil {
		return err
	}
	defer file.Close()
	r, err := d.records(file, snapshotMagic, name)
	if err != nil {
		return err
	}
	for {
		body, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = errors.New("no end marker")
			}
			return d.corrupt(name, snapshotMagic, r, err)
		}
		if len(body) == 0 {
			if _, err := r.Next(); err != io.EOF {
				return d.corrupt(name, snapshotMagic, r, errors.New("records after the end marker"))
			}
			return nil
		}
		if err := state.Apply(body); err != nil {
			return d.corrupt(name, snapshotMagic, r, err)
		}
	}
}

// records checks a file's first line and returns a Reader for the records after it.
func (d *Dir) records(file *os.File, magic, name string) (*Reader, error) {
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(file, head); err != nil || string(head) != magic {
		return nil, fmt.Errorf("%s: not this server's data (%s does not start with %q)", d.path, name, magic)
	}
	return NewReader(file), nil
}

// corrupt says where in which file the records stopped making sense.
func (d *Dir) corrupt(name, magic string, r *Reader, err error) error {
	at := int64(len(magic)) + r.Offset()
	var c *CorruptError
	if errors.As(err, &c) {
		err = errors.New(c.Reason)
	}
	return fmt.Errorf("%s: corrupt: %s: record at byte %d: %v", d.path, name, at, err)
}

// openLog opens log n for appending after its first size bytes, cutting off a torn tail.
func (d *Dir) openLog(n int, size int64) error {
	file, err := os.OpenFile(filepath.Join(d.path, logName(n)), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	info, err := file.Stat()
	if err == nil && info.Size() != size {
		// The torn tail goes now, and for good: new records go right after the
		// good ones, and a crash must not bring the tail back under them.
		if err = file.Truncate(size); err == nil {
			err = syncData(file)
		}
	}
	if err == nil {
		_, err = file.Seek(size, io.SeekStart)
	}
	if err != nil {
		file.Close()
		return err
	}
	d.log, d.logNum, d.logSize = file, n, size
	return nil
}

// createLog makes log n, empty but for its first line, and opens it for appending.
func (d *Dir) createLog(n int) error {
	if err := d.writeFile(logName(n), logMagic, nil); err != nil {
		return err
	}
	return d.openLog(n, int64(len(logMagic)))
}

// writeFile creates name with the magic line and the records write produces, the way a
// file must be created to survive a crash whole or not at all:
//
//   - write it under a temporary name, so that no crash leaves a half-written file under
//     the real one;
//   - fsync it, so that its bytes are on disk before any name points at them (otherwise a
//     power cut after the rename can leave the name on a file of zeros, or of nothing);
//   - rename it to its real name, which replaces any old file in one step: a reader sees
//     the old file or the new one, never a mix;
//   - fsync the directory, since the rename is a change to the directory, and until the
//     directory is on disk a power cut can undo it.
func (d *Dir) writeFile(name, magic string, write func(w *bufio.Writer) error) error {
	tmp := filepath.Join(d.path, name+".tmp")
	file, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	d.after("create " + name + ".tmp")
	w := bufio.NewWriterSize(file, 1<<20)
	w.WriteString(magic)
	if write != nil {
		if err := write(w); err != nil {
			file.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	d.after("write " + name + ".tmp")
	if err := file.Sync(); err != nil {
		file.Close()
		return err
	}
	d.after("fsync " + name + ".tmp")
	if err := file.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(d.path, name)); err != nil {
		return err
	}
	d.after("rename " + name)
	if err := d.dir.Sync(); err != nil {
		return err
	}
	d.after("fsync directory")
	return nil
}

// remove deletes names. No fsync of the directory follows: if a crash brings a name back,
// recovery finds it stale again and removes it again.
func (d *Dir) remove(names []string) error {
	for _, name := range names {
		if err := os.Remove(filepath.Join(d.path, name)); err != nil {
			return err
		}
		d.after("remove " + name)
	}
	return nil
}

// Commit appends batch, whole records, to the log and returns once it is on disk. Once the
// log has grown past CompactAt, Commit starts the next log and has the ones before it
// compacted in the background.
func (d *Dir) Commit(batch []byte) error {
	if _, err := d.log.Write(batch); err != nil {
		return err
	}
	if err := syncData(d.log); err != nil {
		return err
	}
	if d.opts.SlowDisk > 0 {
		time.Sleep(d.opts.SlowDisk)
	}
	d.logSize += int64(len(batch))
	if d.opts.CompactAt > 0 && d.logSize >= d.opts.CompactAt && !d.compacting.Load() {
		return d.rollOver()
	}
	return nil
}

// rollOver closes the current log, starts the next, and compacts everything before it:
// the snapshot, if any, and the logs since.
func (d *Dir) rollOver() error {
	old := d.log
	if err := d.createLog(d.logNum + 1); err != nil {
		return err
	}
	old.Close()
	d.startCompaction(d.first, d.logNum-1)
	return nil
}

// startCompaction writes, on a goroutine of its own, the snapshot that replaces the
// snapshot of log first (if there is one) and logs first to last.
func (d *Dir) startCompaction(first, last int) {
	d.compacting.Store(true)
	go func() {
		if err := d.compact(first, last); err != nil {
			// The old files are all still there, so nothing is lost; stop
			// compacting rather than fail the same way on every commit.
			log.Printf("compaction stopped: %v", err)
			return
		}
		d.first = last + 1
		d.compacting.Store(false)
	}()
}

// compact rebuilds, from files nobody writes any more, the state as of the end of log
// last, writes it as snapshot last+1, and removes the files it replaces. It touches neither
// the live state nor the log being written, so the server goes on meanwhile.
func (d *Dir) compact(first, last int) error {
	state := d.opts.NewState()
	_, err := os.Stat(filepath.Join(d.path, snapshotName(first)))
	hasSnapshot := err == nil
	if hasSnapshot {
		if err := d.loadSnapshot(first, state); err != nil {
			return err
		}
	}
	for n := first; n <= last; n++ {
		if _, err := d.replay(n, false, state); err != nil {
			return err
		}
	}
	err = d.writeFile(snapshotName(last+1), snapshotMagic, func(w *bufio.Writer) error {
		var buf []byte
		err := state.Dump(func(body []byte) error {
			buf = AppendRecord(buf[:0], body)
			_, err := w.Write(buf)
			return err
		})
		if err != nil {
			return err
		}
		_, err = w.Write(AppendRecord(buf[:0], nil)) // the end marker
		return err
	})
	if err != nil {
		return err
	}
	var stale []string
	if hasSnapshot {
		stale = append(stale, snapshotName(first))
	}
	for n := first; n <= last; n++ {
		stale = append(stale, logName(n))
	}
	return d.remove(stale)
}

// Close closes the log and releases the directory's lock. A compaction still running is
// abandoned; the next Open finishes it.
func (d *Dir) Close() error {
	err := d.log.Close()
	d.dir.Close()
	return err
}
