// Command busywait serves the key-value protocol from one thread that never sleeps: every
// socket is non-blocking, and the loop asks each one, over and over, whether it has
// anything.
package main

import (
	"flag"
	"log"
	"runtime"

	"flavors/code/kv"
	"flavors/code/loopstats"
	"flavors/code/sock"
)

func main() {
	addr := kv.AddrFlag()
	stats := loopstats.Flag()
	flag.Parse()
	kv.ExitOnSignal()
	listener, hostport, err := sock.ListenNonblocking(*addr)
	if err != nil {
		log.Fatal(err)
	}
	s := newServer(listener, kv.NewStore())
	if *stats {
		loopstats.PrintEverySecond(s.syscalls, s.fruitless)
	}
	kv.Announce(hostport)
	// One thread is the whole model. Go would otherwise move this goroutine between
	// threads as it pleases; locked, it stays on one, and top shows that thread alone
	// doing the work.
	runtime.LockOSThread()
	s.run()
}

type server struct {
	listener *sock.Listener
	store    *kv.Store
	conns    []*sock.Conn
	buf      []byte // one read buffer for all: a read is fed to its session before the next

	syscalls  *loopstats.Counter // accept, read and write calls made
	fruitless *loopstats.Counter // ... that found nothing to do (EAGAIN)
}

func newServer(l *sock.Listener, store *kv.Store) *server {
	return &server{
		listener:  l,
		store:     store,
		buf:       make([]byte, 64<<10),
		syscalls:  loopstats.NewCounter("syscall"),
		fruitless: loopstats.NewCounter("fruitless"),
	}
}

// run asks the listener and then every connection whether it has something, and starts
// over, forever. Nothing in it waits, so when there is nothing to do it spins.
func (s *server) run() {
	for {
		s.acceptOne()
		live := s.conns[:0]
		for _, c := range s.conns {
			if s.serve(c) {
				live = append(live, c)
			}
		}
		clear(s.conns[len(live):])
		s.conns = live
	}
}

func (s *server) acceptOne() {
	fd, err := s.listener.Accept()
	s.count(fd >= 0)
	if err != nil {
		log.Print(err)
	}
	if fd >= 0 {
		s.conns = append(s.conns, sock.NewConn(fd, s.store))
	}
}

// serve tries a read, and a write if responses are waiting, on one connection. It reports
// whether the connection stays open.
func (s *server) serve(c *sock.Conn) bool {
	if c.WantsRead() {
		n, err := c.Read(s.buf)
		s.count(n > 0 || !c.WantsRead())
		if err != nil {
			c.Close(err)
			return false
		}
	}
	if c.WantsWrite() {
		n, err := c.Flush()
		s.count(n > 0)
		if err != nil {
			c.Close(err)
			return false
		}
	}
	if c.Done() {
		c.Close(nil)
		return false
	}
	return true
}

// count records one system call, and whether it found anything to do.
func (s *server) count(found bool) {
	s.syscalls.Add(1)
	if !found {
		s.fruitless.Add(1)
	}
}
