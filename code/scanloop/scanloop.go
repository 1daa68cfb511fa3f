// Package scanloop is the server loop that select and poll share: before each sleep it hands
// the kernel the whole list of descriptors, and after it, it looks at every one to find the
// few that are ready. Only the readiness call itself differs between the two.
package scanloop

import (
	"flag"
	"log"
	"runtime"

	"flavors/code/kv"
	"flavors/code/loopstats"
	"flavors/code/sock"
)

// Waiter is a readiness call that takes every descriptor on every call.
type Waiter interface {
	// Wait sleeps until the listener or one of conns is ready, and returns how many are.
	Wait(listener int, conns []*sock.Conn) (int, error)
	// ListenerReady reports whether the last Wait found a connection waiting.
	ListenerReady() bool
	// Ready reports what the last Wait found for conns[i]. A connection accepted since
	// then, past the end of the list Wait saw, is not ready.
	Ready(i int, c *sock.Conn) (readable, writable bool)
	// Admit reports whether a new descriptor can be waited on at all.
	Admit(fd int) bool
}

// Main is the whole program of a server built on w; name is the readiness call's name, for
// the -stats line.
func Main(name string, w Waiter) {
	addr := kv.AddrFlag()
	stats := loopstats.Flag()
	flag.Parse()
	kv.ExitOnSignal()
	listener, hostport, err := sock.ListenNonblocking(*addr)
	if err != nil {
		log.Fatal(err)
	}
	s := newServer(name, w, listener, kv.NewStore())
	if *stats {
		loopstats.PrintEverySecond(s.calls, s.passed, s.ready, s.refused)
	}
	kv.Announce(hostport)
	runtime.LockOSThread() // one thread, as in the busy-wait server
	s.run()
}

type server struct {
	waiter   Waiter
	listener *sock.Listener
	store    *kv.Store
	conns    []*sock.Conn
	buf      []byte // one read buffer for all: a read is fed to its session before the next

	calls   *loopstats.Counter // readiness calls
	passed  *loopstats.Counter // descriptors handed to the kernel
	ready   *loopstats.Counter // descriptors it found ready
	refused *loopstats.Counter // connections closed because they cannot be waited on
}

func newServer(name string, w Waiter, l *sock.Listener, store *kv.Store) *server {
	return &server{
		waiter:   w,
		listener: l,
		store:    store,
		buf:      make([]byte, 64<<10),
		calls:    loopstats.NewCounter(name),
		passed:   loopstats.NewCounter("passed"),
		ready:    loopstats.NewCounter("ready"),
		refused:  loopstats.NewCounter("refused"),
	}
}

func (s *server) run() {
	for {
		s.calls.Add(1)
		s.passed.Add(1 + len(s.conns))
		n, err := s.waiter.Wait(s.listener.FD, s.conns)
		if err != nil {
			log.Fatal(err) // EBADF or EINVAL: a bug here, not a client's doing
		}
		s.ready.Add(n)
		if s.waiter.ListenerReady() {
			s.acceptAll()
		}
		s.serveAll()
	}
}

// serveAll looks at every connection, ready or not: the readiness call said how many are
// ready, not which.
func (s *server) serveAll() {
	live := s.conns[:0]
	for i, c := range s.conns {
		readable, writable := s.waiter.Ready(i, c)
		open, err := c.Serve(readable, writable, s.buf)
		if open {
			live = append(live, c)
		} else {
			c.Close(err)
		}
	}
	clear(s.conns[len(live):])
	s.conns = live
}

// acceptAll takes every waiting connection, so one wake-up serves a burst of them.
func (s *server) acceptAll() {
	for {
		fd, err := s.listener.Accept()
		if err != nil {
			log.Print(err)
			return
		}
		if fd < 0 {
			return
		}
		if !s.waiter.Admit(fd) {
			s.refuse(fd)
			continue
		}
		s.conns = append(s.conns, sock.NewConn(fd, s.store))
	}
}

// refuse closes a connection the waiter cannot watch at once: its client sees the
// connection end, rather than wait for answers that would never come.
func (s *server) refuse(fd int) {
	if s.refused.Load() == 0 {
		log.Printf("descriptor %d cannot be waited on: refusing this connection and any like it", fd)
	}
	s.refused.Add(1)
	sock.Close(fd)
}
