package eventloop

import (
	"os"

	"golang.org/x/sys/unix"
)

const waitCall = "epoll_wait"

// poller is an epoll instance: an interest list kept in the kernel, so each wait passes
// nothing in and gets back only the descriptors that are ready.
//
// It is level-triggered: a descriptor is reported on every wait for as long as it is ready,
// not once per change. A handler may therefore read once and leave the rest for the next
// wait, and nothing is lost if it does not drain the socket to EAGAIN.
type poller struct {
	epfd   int
	events []unix.EpollEvent // filled by the kernel on each wait
}

func newPoller(size int) (poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return poller{}, os.NewSyscallError("epoll_create1", err)
	}
	return poller{epfd: epfd, events: make([]unix.EpollEvent, size)}, nil
}

// update moves fd's interest from old to new with one epoll_ctl.
func (p *poller) update(fd int, old, new Mask) error {
	op := unix.EPOLL_CTL_MOD
	switch {
	case old == new:
		return nil
	case old == 0:
		op = unix.EPOLL_CTL_ADD
	case new == 0:
		op = unix.EPOLL_CTL_DEL
	}
	ev := unix.EpollEvent{Events: epollEvents(new), Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, op, fd, &ev))
}

func epollEvents(m Mask) uint32 {
	var e uint32
	if m&Readable != 0 {
		// EPOLLRDHUP: tell us about the peer's FIN as such, so a handler that
		// reads everything before it knows not to read once more to find it.
		e |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if m&Writable != 0 {
		e |= unix.EPOLLOUT
	}
	return e
}

// wait sleeps until something is ready, and translates what the kernel reports into fired.
func (p *poller) wait(fired []event) (int, error) {
	n, err := unix.EpollWait(p.epfd, p.events, -1)
	if err != nil {
		return 0, err
	}
	for i, ev := range p.events[:n] {
		fired[i] = event{fd: int(ev.Fd), ready: readyMask(ev.Events)}
	}
	return n, nil
}

func readyMask(e uint32) Mask {
	var m Mask
	if e&unix.EPOLLIN != 0 {
		m |= Readable
	}
	if e&unix.EPOLLRDHUP != 0 {
		m |= Readable | PeerClosed
	}
	if e&unix.EPOLLOUT != 0 {
		m |= Writable
	}
	// An error or a hang-up is reported whether asked for or not. It is news for
	// both directions: whichever handler runs finds the cause in read's or write's error.
	if e&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		m |= Readable | Writable
	}
	return m
}

func (p *poller) close() error { return unix.Close(p.epfd) }
