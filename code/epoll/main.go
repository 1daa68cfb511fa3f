// Command epoll serves the key-value protocol from one thread running an event loop: it
// sleeps in epoll_wait (kqueue on the BSDs) and is woken with just the descriptors that are
// ready.
package main

import (
	"flag"
	"log"
	"runtime"

	"flavors/code/eventloop"
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
	s, err := newServer(listener, kv.NewStore())
	if err != nil {
		log.Fatal(err)
	}
	if *stats {
		loopstats.PrintEverySecond(s.waits, s.events)
	}
	kv.Announce(hostport)
	runtime.LockOSThread() // one thread, as in every server since busy wait
	log.Fatal(s.loop.Run())
}

type server struct {
	loop     *eventloop.Loop
	listener *sock.Listener
	store    *kv.Store
	conns    []*sock.Conn // indexed by descriptor
	buf      []byte       // one read buffer for all: a read is fed to its session before the next

	// The handlers, made once: a method value made at each Add would allocate.
	onReadable, onWritable eventloop.Handler

	waits  *loopstats.Counter // epoll_wait calls
	events *loopstats.Counter // events they returned
}

func newServer(l *sock.Listener, store *kv.Store) (*server, error) {
	loop, err := eventloop.New()
	if err != nil {
		return nil, err
	}
	s := &server{
		loop:     loop,
		listener: l,
		store:    store,
		buf:      make([]byte, 64<<10),
		waits:    loopstats.NewCounter("epoll_wait"),
		events:   loopstats.NewCounter("events"),
	}
	s.onReadable, s.onWritable = s.readable, s.writable
	loop.AfterWait = func(n int) {
		s.waits.Add(1)
		s.events.Add(n)
	}
	return s, loop.Add(l.FD, eventloop.Readable, s.acceptable, nil)
}

// acceptable takes every waiting connection: one wake-up for a whole burst.
func (s *server) acceptable(int, eventloop.Mask) {
	for {
		fd, err := s.listener.Accept()
		if err != nil {
			log.Print(err)
			return
		}
		if fd < 0 {
			return
		}
		s.open(fd)
	}
}

func (s *server) open(fd int) {
	c := sock.NewConn(fd, s.store)
	if err := s.loop.Add(fd, eventloop.Readable, s.onReadable, s.onWritable); err != nil {
		c.Close(err)
		return
	}
	if fd >= len(s.conns) {
		s.conns = append(s.conns, make([]*sock.Conn, fd+1-len(s.conns))...)
	}
	s.conns[fd] = c
}

// readable reads once, feeds, and answers at once.
//
// Once, because the loop is level-triggered: what is left in the socket makes the next wait
// return at once, after the other ready connections have had their turn. With a 64 KiB
// buffer one read nearly always takes everything anyway, and reading again until EAGAIN
// would cost a system call that finds nothing.
//
// At once, because right after a request the socket's send buffer is almost surely empty:
// waiting for EPOLLOUT first would cost an epoll_ctl and another wake-up per request.
func (s *server) readable(fd int, ready eventloop.Mask) {
	c := s.conns[fd]
	n, err := c.Read(s.buf)
	if err == nil && ready&eventloop.PeerClosed != 0 && n < len(s.buf) {
		// The FIN came after everything this read took: reading again would
		// only return 0.
		c.EndInput()
	}
	if err == nil {
		_, err = c.Flush()
	}
	s.settle(c, err)
}

// writable writes what an earlier Flush could not.
func (s *server) writable(fd int, _ eventloop.Mask) {
	c := s.conns[fd]
	_, err := c.Flush()
	s.settle(c, err)
}

// settle closes c if it is over; otherwise it asks the loop for exactly the readiness c can
// use now. Readable while the peer may still send. Writable only while responses wait: a
// level-triggered EPOLLOUT on a socket with room in its buffer would end every wait at once.
func (s *server) settle(c *sock.Conn, err error) {
	if err != nil || c.Done() {
		s.close(c, err)
		return
	}
	var want eventloop.Mask
	if c.WantsRead() {
		want |= eventloop.Readable
	}
	if c.WantsWrite() {
		want |= eventloop.Writable
	}
	if err := s.loop.SetInterest(c.FD, want); err != nil {
		s.close(c, err)
	}
}

// close takes c out of the loop, then closes it. The other order would leave the
// registration behind if the socket were still open elsewhere (a dup, a forked child), and
// events for a descriptor number the next accept may hand out again.
func (s *server) close(c *sock.Conn, err error) {
	s.loop.Remove(c.FD)
	s.conns[c.FD] = nil
	c.Close(err)
}
