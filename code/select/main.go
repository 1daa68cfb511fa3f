// Command select serves the key-value protocol from one thread that sleeps in select(2)
// until the kernel says some descriptor is ready.
package main

import (
	"golang.org/x/sys/unix"

	"flavors/code/scanloop"
	"flavors/code/sock"
)

func main() {
	scanloop.Main("select", &selector{})
}

// selector waits with select(2). Its sets are bitmaps of FD_SETSIZE (1024) bits, one per
// descriptor number, and the kernel writes its answer over them.
type selector struct {
	listener         int
	readers, writers unix.FdSet
}

// Wait sleeps in select until the listener or a connection is ready. A signal cuts the sleep
// short (select is never restarted) and leaves the sets undefined, so they are built again.
func (s *selector) Wait(listener int, conns []*sock.Conn) (int, error) {
	for {
		highest := s.fill(listener, conns)
		n, err := unix.Select(highest+1, &s.readers, &s.writers, nil, nil)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// fill builds both sets from scratch, since the last call wrote its answer over them, and
// returns the highest descriptor in them: the kernel will read every bit up to that one,
// ready or not.
func (s *selector) fill(listener int, conns []*sock.Conn) int {
	s.listener = listener
	s.readers.Zero()
	s.writers.Zero()
	s.readers.Set(listener)
	highest := listener
	for _, c := range conns {
		if c.WantsRead() {
			s.readers.Set(c.FD)
		}
		// Only while responses are waiting: a socket is writable nearly all the
		// time, and asking about it otherwise would end every sleep at once.
		if c.WantsWrite() {
			s.writers.Set(c.FD)
		}
		highest = max(highest, c.FD)
	}
	return highest
}

func (s *selector) ListenerReady() bool { return s.readers.IsSet(s.listener) }

// Ready tests the connection's bits. One accepted since Wait has a bit that is clear: its
// descriptor was not open when the sets were built.
func (s *selector) Ready(_ int, c *sock.Conn) (readable, writable bool) {
	return s.readers.IsSet(c.FD), s.writers.IsSet(c.FD)
}

// Admit refuses descriptors from FD_SETSIZE up: FdSet.Set would index past the end of its
// array and panic (C's FD_SET silently writes past it instead).
func (s *selector) Admit(fd int) bool { return fd < unix.FD_SETSIZE }
