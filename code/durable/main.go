// Command durable is the event loop server with its data on disk: a put or an append is
// answered once it is in the log and the log is on stable storage, and everything answered
// survives a crash. The loop never waits for the disk: a log writer on its own thread does,
// and wakes the loop through an eventfd when a batch of records is durable.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"flavors/code/eventloop"
	"flavors/code/kv"
	"flavors/code/loopstats"
	"flavors/code/sock"
	"flavors/code/wal"
)

func main() {
	addr := kv.AddrFlag()
	idle := kv.IdleTimeoutFlag()
	stats := loopstats.Flag()
	data := flag.String("data", "", "keep the data in `DIR` (default: a new temporary directory, removed at exit)")
	commit := flag.String("commit", "group", "who writes the log and how: `group` (the log writer, one fdatasync for all the writes waiting), each (the log writer, one per write), inline (the event loop itself, one per write)")
	slowDisk := flag.Duration("slow-disk", 0, "add this `long` to every fdatasync, as a slow disk would")
	compactAt := flag.Int64("compact-at", 64<<20, "start a new log and compact the old ones once a log has this many `bytes` (0: never)")
	flag.Parse()
	if *commit != "group" && *commit != "each" && *commit != "inline" {
		log.Fatalf("-commit %q: want group, each or inline", *commit)
	}
	dirPath := *data
	if dirPath == "" {
		temp, err := os.MkdirTemp("", "durable-")
		if err != nil {
			log.Fatal(err)
		}
		dirPath, removeAtExit = temp, temp
	}
	exitOnSignal()
	if removeAtExit != "" {
		log.Printf("data in %s, a temporary directory removed at exit", dirPath)
	}

	dir, state, err := wal.Open(dirPath, wal.Options{
		NewState:  newStoreState,
		CompactAt: *compactAt,
		SlowDisk:  *slowDisk,
	})
	if err != nil {
		fatal(err)
	}
	listener, hostport, err := sock.ListenNonblocking(*addr)
	if err != nil {
		fatal(err)
	}
	s, err := newServer(listener, state.(*storeState).store, *idle)
	if err != nil {
		fatal(err)
	}
	if err := s.startLog(dir, *commit); err != nil {
		fatal(err)
	}
	if *stats {
		loopstats.PrintEverySecond(s.waits, s.events)
		loopstats.PrintEverySecond(s.syncs, s.records)
	}
	kv.Announce(hostport)
	runtime.LockOSThread()
	spareP()
	fatal(s.loop.Run())
}

// removeAtExit is the temporary data directory, if the server made one.
var removeAtExit string

// fatal logs err in one line and exits with status 1, removing a temporary data directory.
func fatal(err error) {
	log.Print(err)
	exit(1)
}

func exit(code int) {
	if removeAtExit != "" {
		os.RemoveAll(removeAtExit)
	}
	os.Exit(code)
}

// exitOnSignal is kv.ExitOnSignal with one more thing to do: remove a temporary data
// directory. There is nothing to flush: every write answered is on disk already, and one
// not answered yet may be lost, as after any crash.
func exitOnSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		exit(0)
	}()
}

type server struct {
	loop     *eventloop.Loop
	listener *sock.Listener
	store    *kv.Store
	conns    []*conn       // indexed by descriptor
	buf      []byte        // one read buffer for all: a read is fed to its session before the next
	idle     time.Duration // close a connection that makes no progress for this long; 0: never

	// The handlers, made once: a method value made at each Add would allocate.
	onReadable, onWritable eventloop.Handler

	waits  *loopstats.Counter // epoll_wait calls
	events *loopstats.Counter // events they returned

	// The log, seen from the loop.
	logRecord func(record []byte) // hands a record to the log: the writer, or the loop inline
	record    []byte              // the record being handed over, reused
	inFlight  []*conn             // connections whose write the log has, in log order
	durable   int                 // how many at the front of inFlight are on disk now
	syncs     *loopstats.Counter  // fdatasync calls on the log
	records   *loopstats.Counter  // records they made durable
}

// conn is a connection, its session, and, with an idle timeout, the timer that checks it.
type conn struct {
	*sock.Conn
	session   *kv.Session
	idleTimer *eventloop.Timer
	closed    bool // the socket is gone; a write of it still in the log is still applied
}

func newServer(l *sock.Listener, store *kv.Store, idle time.Duration) (*server, error) {
	loop, err := eventloop.New()
	if err != nil {
		return nil, err
	}
	s := &server{
		loop:     loop,
		listener: l,
		store:    store,
		buf:      make([]byte, kv.ReadBufferSize),
		idle:     idle,
		waits:    loopstats.NewCounter("epoll_wait"),
		events:   loopstats.NewCounter("events"),
		syncs:    loopstats.NewCounter("fdatasync"),
		records:  loopstats.NewCounter("records"),
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
	s.listener.AcceptAll(s.open)
}

func (s *server) open(fd int) {
	c := &conn{}
	c.session = kv.NewJournaledSession(s.store, func(body []byte) { s.journal(c, body) })
	c.Conn = sock.NewConn(fd, c.session)
	if err := s.loop.Add(fd, eventloop.Readable, s.onReadable, s.onWritable); err != nil {
		c.Close(err)
		return
	}
	if fd >= len(s.conns) {
		s.conns = append(s.conns, make([]*conn, fd+1-len(s.conns))...)
	}
	s.conns[fd] = c
	if s.idle > 0 {
		c.KeepTime(s.loop.Now)
		c.idleTimer = s.loop.AddTimer(s.loop.Now().Add(s.idle), func() { s.checkIdle(c) })
	}
}

// checkIdle runs when c's idle timer is due: it closes c if c made no progress for the
// whole timeout, and otherwise sets the timer for the deadline its last progress gives.
func (s *server) checkIdle(c *conn) {
	due := c.LastProgress().Add(s.idle)
	if due.After(s.loop.Now()) {
		s.loop.ResetTimer(c.idleTimer, due)
		return
	}
	s.close(c, kv.ErrIdle)
}

// readable reads once, feeds, and answers what it can at once; see chapter 7.
func (s *server) readable(fd int, ready eventloop.Mask) {
	c := s.conns[fd]
	n, err := c.Receive(s.buf)
	if err == nil && ready&eventloop.PeerClosed != 0 && n < len(s.buf) {
		c.EndInput()
	}
	if err == nil {
		_, err = c.Flush()
	}
	s.settle(c, err)
	s.answerDurable()
}

// writable writes what an earlier Flush could not.
func (s *server) writable(fd int, _ eventloop.Mask) {
	c := s.conns[fd]
	_, err := c.Flush()
	s.settle(c, err)
	s.answerDurable()
}

// settle closes c if it is over; otherwise it asks the loop for exactly the readiness c can
// use now. A connection whose write is in the log is not over, even with nothing to write
// and nothing more to read: its answer is owed.
func (s *server) settle(c *conn, err error) {
	if err != nil || (c.Done() && !c.session.Journaling()) {
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

// close takes c out of the loop, then closes it (see chapter 7 for the order).
func (s *server) close(c *conn, err error) {
	s.loop.Remove(c.FD)
	s.conns[c.FD] = nil
	if c.idleTimer != nil {
		s.loop.StopTimer(c.idleTimer)
	}
	c.closed = true
	c.Close(err)
}

// spareP: see chapter 7.
func spareP() {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

// startLog sets up how records reach the disk. inline: the loop commits each record
// itself, and waits. group and each: the log writer does, and tells the loop through its
// inbox, an eventfd the loop watches.
func (s *server) startLog(dir *wal.Dir, commit string) error {
	if commit == "inline" {
		var batch []byte
		s.logRecord = func(record []byte) {
			batch = wal.AppendRecord(batch[:0], record)
			if err := dir.Commit(batch); err != nil {
				fatal(err)
			}
			s.syncs.Add(1)
			s.records.Add(1)
			s.durable++ // answered once the handler that fed it is done
		}
		return nil
	}
	inbox, err := eventloop.NewInbox(s.loop)
	if err != nil {
		return err
	}
	maxBatch := 0
	if commit == "each" {
		maxBatch = 1
	}
	w := wal.NewWriter(dir, maxBatch, func(n int, err error) {
		if err != nil {
			fatal(fmt.Errorf("log: %w", err))
		}
		s.syncs.Add(1)
		s.records.Add(n)
		inbox.Post(func() {
			s.durable += n
			s.answerDurable()
		})
	})
	s.logRecord = w.Append
	return nil
}

// journal is c's session handing over a write: it becomes a record, and c waits in line.
func (s *server) journal(c *conn, body []byte) {
	s.record = append(append(s.record[:0], opRequest), body...)
	s.inFlight = append(s.inFlight, c)
	s.logRecord(s.record)
}

// answerDurable answers the writes the log has made durable, in log order: each is applied
// to the store now, so a get sees it from now on, and answered. Its connection then goes on
// with the requests it held, which may hand the log its next write.
func (s *server) answerDurable() {
	for s.durable > 0 {
		c := s.inFlight[0]
		s.inFlight[0] = nil
		s.inFlight = s.inFlight[1:]
		s.durable--
		c.session.Durable()
		if !c.closed {
			_, err := c.Flush()
			s.settle(c, err)
		}
	}
}
