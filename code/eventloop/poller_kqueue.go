//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventloop

import (
	"os"

	"golang.org/x/sys/unix"
)

const waitCall = "kevent"

// poller is a kqueue: like epoll, an interest list kept in the kernel. Each direction is a
// filter of its own (EVFILT_READ, EVFILT_WRITE), added and deleted separately, and reported
// as separate events. Filters are level-triggered unless asked otherwise (EV_CLEAR).
type poller struct {
	kq      int
	changes []unix.Kevent_t // at most one change per filter
	events  []unix.Kevent_t // filled by the kernel on each wait
}

func newPoller(size int) (poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return poller{}, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	return poller{kq: kq, changes: make([]unix.Kevent_t, 0, 2), events: make([]unix.Kevent_t, size)}, nil
}

// update adds or deletes the filters that differ between old and new, in one kevent call.
func (p *poller) update(fd int, old, new Mask) error {
	p.changes = p.changes[:0]
	p.changeFilter(fd, unix.EVFILT_READ, old&Readable != 0, new&Readable != 0)
	p.changeFilter(fd, unix.EVFILT_WRITE, old&Writable != 0, new&Writable != 0)
	if len(p.changes) == 0 {
		return nil
	}
	_, err := unix.Kevent(p.kq, p.changes, nil, nil)
	return os.NewSyscallError("kevent", err)
}

func (p *poller) changeFilter(fd, filter int, was, is bool) {
	if was == is {
		return
	}
	flags := unix.EV_ADD
	if was {
		flags = unix.EV_DELETE
	}
	var ch unix.Kevent_t
	unix.SetKevent(&ch, fd, filter, flags)
	p.changes = append(p.changes, ch)
}

// wait sleeps until something is ready, and translates what the kernel reports into fired.
func (p *poller) wait(fired []event) (int, error) {
	n, err := unix.Kevent(p.kq, nil, p.events, nil)
	if err != nil {
		return 0, err
	}
	for i, ev := range p.events[:n] {
		fired[i] = event{fd: int(ev.Ident), ready: readyMask(&ev)}
	}
	return n, nil
}

func readyMask(ev *unix.Kevent_t) Mask {
	var m Mask
	switch {
	case ev.Flags&unix.EV_ERROR != 0:
		m = Readable | Writable // let read or write return the cause
	case ev.Filter == unix.EVFILT_READ:
		m = Readable
		if ev.Flags&unix.EV_EOF != 0 {
			m |= PeerClosed
		}
	case ev.Filter == unix.EVFILT_WRITE:
		m = Writable
	}
	return m
}

func (p *poller) close() error { return unix.Close(p.kq) }
