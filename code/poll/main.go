// Command poll serves the key-value protocol from one thread that sleeps in poll(2) until the
// kernel says some descriptor is ready.
package main

import (
	"golang.org/x/sys/unix"

	"flavors/code/scanloop"
	"flavors/code/sock"
)

func main() {
	scanloop.Main("poll", &poller{})
}

// poller waits with poll(2): an array of (descriptor, events wanted, events found) that
// the kernel answers in place. Any descriptor number fits.
type poller struct {
	fds []unix.PollFd // fds[0] is the listener, fds[1+i] is conns[i]
}

// Wait fills the array again, entry by entry, and the kernel walks all of it again.
func (p *poller) Wait(listener int, conns []*sock.Conn) (int, error) {
	p.fds = append(p.fds[:0], unix.PollFd{Fd: int32(listener), Events: unix.POLLIN})
	for _, c := range conns {
		var events int16
		if c.WantsRead() {
			events |= unix.POLLIN
		}
		if c.WantsWrite() {
			events |= unix.POLLOUT // only while responses wait, as with select
		}
		p.fds = append(p.fds, unix.PollFd{Fd: int32(c.FD), Events: events})
	}
	for {
		n, err := unix.Poll(p.fds, -1)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func (p *poller) ListenerReady() bool { return p.fds[0].Revents != 0 }

// Ready reads the answer in the connection's entry. POLLHUP and POLLERR are reported whether
// asked for or not; they make the connection both readable and writable, so that read or
// write runs into the condition and returns its cause.
func (p *poller) Ready(i int, _ *sock.Conn) (readable, writable bool) {
	if 1+i >= len(p.fds) {
		return false, false // accepted after Wait
	}
	r := p.fds[1+i].Revents
	broken := r&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
	return broken || r&unix.POLLIN != 0, broken || r&unix.POLLOUT != 0
}

func (p *poller) Admit(int) bool { return true }
