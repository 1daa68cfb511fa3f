// Package eventloop is a small event loop in the manner of Redis's ae: register a descriptor
// with a handler for each direction, say which readiness it waits for, and Run calls the
// handlers as the kernel reports descriptors ready. The kernel's readiness API, epoll or
// kqueue, sits behind it in one file per kernel.
//
// A Loop belongs to one goroutine: every method, handlers included, runs on the goroutine
// that calls Run.
package eventloop

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Mask is a set of readiness conditions: what a descriptor waits for, or was found ready for.
type Mask uint8

const (
	Readable Mask = 1 << iota
	Writable
	// PeerClosed is never waited for; it comes with Readable when the peer has sent FIN
	// (EPOLLRDHUP, EV_EOF). What it sent before the FIN is still there to read.
	PeerClosed
)

// Handler is called with the descriptor and everything it was found ready for.
type Handler func(fd int, ready Mask)

// Loop watches descriptors and dispatches their readiness to handlers.
type Loop struct {
	poller          // the kernel's side: one implementation per kernel
	files   []file  // indexed by descriptor, like ae's events array
	fired   []event // what the last wait reported, like ae's fired array
	stopped bool

	// AfterWait, if set, is called after every wait with the number of events it
	// returned, before they are dispatched (ae's aftersleep).
	AfterWait func(events int)
}

// file is what the loop knows about one descriptor.
type file struct {
	added      bool
	interest   Mask
	onReadable Handler
	onWritable Handler
}

// event is one report from the kernel, translated.
type event struct {
	fd    int
	ready Mask
}

// maxEvents bounds the events one wait returns; more stay pending for the next wait.
const maxEvents = 256

var (
	ErrAdded    = errors.New("eventloop: descriptor already added")
	ErrNotAdded = errors.New("eventloop: descriptor not added")
)

func New() (*Loop, error) {
	p, err := newPoller(maxEvents)
	if err != nil {
		return nil, err
	}
	return &Loop{poller: p, fired: make([]event, maxEvents)}, nil
}

// Add starts watching fd for interest; onReadable and onWritable run when it is found
// readable or writable. Either may be nil if fd never waits for that direction.
func (l *Loop) Add(fd int, interest Mask, onReadable, onWritable Handler) error {
	if fd < 0 {
		return unix.EBADF
	}
	if l.added(fd) {
		return ErrAdded
	}
	if err := l.update(fd, 0, interest); err != nil {
		return err
	}
	if fd >= len(l.files) {
		l.files = append(l.files, make([]file, fd+1-len(l.files))...)
	}
	l.files[fd] = file{added: true, interest: interest, onReadable: onReadable, onWritable: onWritable}
	return nil
}

// SetInterest changes what fd waits for; 0 stops watching it without forgetting its
// handlers. Asking for what is already asked costs no system call, so a caller can state
// what it wants after every event.
func (l *Loop) SetInterest(fd int, interest Mask) error {
	if !l.added(fd) {
		return ErrNotAdded
	}
	f := &l.files[fd]
	if f.interest == interest {
		return nil
	}
	if err := l.update(fd, f.interest, interest); err != nil {
		return err
	}
	f.interest = interest
	return nil
}

// Remove stops watching fd and forgets it. Call it before closing fd: the number is handed
// out again by the next accept or open, and must not come with this registration.
func (l *Loop) Remove(fd int) error {
	if !l.added(fd) {
		return ErrNotAdded
	}
	err := l.update(fd, l.files[fd].interest, 0)
	l.files[fd] = file{}
	return err
}

func (l *Loop) added(fd int) bool {
	return fd >= 0 && fd < len(l.files) && l.files[fd].added
}

// Run waits and dispatches until a handler calls Stop, or the wait fails.
func (l *Loop) Run() error {
	l.stopped = false
	for !l.stopped {
		n, err := l.wait(l.fired)
		if err == unix.EINTR {
			// A signal handler ran on this thread: Go preempts goroutines with
			// SIGURG, and other signals land on any thread. The kernel never
			// restarts a wait after a handler, whatever SA_RESTART says.
			continue
		}
		if err != nil {
			return os.NewSyscallError(waitCall, err)
		}
		if l.AfterWait != nil {
			l.AfterWait(n)
		}
		for _, ev := range l.fired[:n] {
			l.dispatch(ev)
		}
	}
	return nil
}

// dispatch calls the handlers ev is for. Each is checked against the current interest, not
// the one at wait time: an earlier handler in the same batch may have changed it, or
// removed the descriptor.
func (l *Loop) dispatch(ev event) {
	f := &l.files[ev.fd]
	if f.interest&ev.ready&Readable != 0 {
		f.onReadable(ev.fd, ev.ready)
	}
	// The read handler may have added descriptors, and l.files may have moved.
	f = &l.files[ev.fd]
	if f.interest&ev.ready&Writable != 0 {
		f.onWritable(ev.fd, ev.ready)
	}
}

// Stop makes Run return once the handlers of the current batch have run. Call it from a
// handler.
func (l *Loop) Stop() { l.stopped = true }

// Close releases the kernel's side of the loop. The descriptors it watched stay open.
func (l *Loop) Close() error { return l.poller.close() }
