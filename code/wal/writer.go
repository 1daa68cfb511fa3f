package wal

import (
	"encoding/binary"
	"runtime"
	"sync"
)

// Writer commits records to a Dir on a thread of its own, so that whoever appends (the
// event loop) never waits for the disk. Records appended while a commit is under way wait
// for the next one, and all of them share it: group commit. With one record per commit
// instead, every record pays for its own fdatasync.
type Writer struct {
	dir      *Dir
	maxBatch int                   // records per commit at most; 0: every record waiting
	done     func(n int, err error) // after each commit, on the writer's thread

	mu      sync.Mutex
	wake    sync.Cond
	pending []byte // encoded records, in the order they were appended
	count   int    // records in pending
	closed  bool
	exited  chan struct{}
}

// NewWriter starts a writer on d. After each commit it calls done with the number of
// records that commit made durable, the oldest first, or with the error that stopped it
// (then it commits nothing more). maxBatch 1 gives one commit per record, for comparison.
func NewWriter(d *Dir, maxBatch int, done func(n int, err error)) *Writer {
	w := &Writer{dir: d, maxBatch: maxBatch, done: done, exited: make(chan struct{})}
	w.wake.L = &w.mu
	go w.run()
	return w
}

// Append queues body to be committed. It copies body, and never waits for the disk.
func (w *Writer) Append(body []byte) {
	w.mu.Lock()
	w.pending = AppendRecord(w.pending, body)
	w.count++
	w.mu.Unlock()
	w.wake.Signal()
}

func (w *Writer) run() {
	// A thread of its own: the writer spends its life in write and fdatasync, and the Go
	// runtime would hand its processor to another thread during each call anyway.
	runtime.LockOSThread()
	defer close(w.exited)
	var batch []byte
	for {
		w.mu.Lock()
		for w.count == 0 && !w.closed {
			w.wake.Wait()
		}
		if w.count == 0 {
			w.mu.Unlock()
			return
		}
		var n int
		batch, n = w.take(batch[:0])
		w.mu.Unlock()
		err := w.dir.Commit(batch)
		w.done(n, err)
		if err != nil {
			return
		}
	}
}

// take moves up to maxBatch records from pending to batch. Taking them all is a swap of
// buffers: the loop appends to the one the last commit used.
func (w *Writer) take(batch []byte) ([]byte, int) {
	if w.maxBatch <= 0 || w.count <= w.maxBatch {
		n := w.count
		w.pending, batch = batch, w.pending
		w.count = 0
		return batch, n
	}
	end := 0
	for range w.maxBatch {
		end += headerLen + int(binary.BigEndian.Uint32(w.pending[end:]))
	}
	batch = append(batch, w.pending[:end]...)
	w.pending = w.pending[:copy(w.pending, w.pending[end:])]
	w.count -= w.maxBatch
	return batch, w.maxBatch
}

// Close commits what is pending, then stops the writer.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wake.Signal()
	<-w.exited
}
