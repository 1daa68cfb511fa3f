package sock

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
)

// Listener is a listening socket in non-blocking mode, with one descriptor held in reserve
// for the day the process runs out of them.
type Listener struct {
	FD    int
	spare int // an open /dev/null, given up to accept one connection when the table is full; -1 if lost
}

// ListenNonblocking is Listen with the socket switched to non-blocking mode: accept(2) on it
// never sleeps, it fails with EAGAIN when no connection is waiting.
func ListenNonblocking(addr string) (*Listener, string, error) {
	fd, hostport, err := Listen(addr)
	if err != nil {
		return nil, "", err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		Close(fd)
		return nil, "", os.NewSyscallError("fcntl", err)
	}
	return &Listener{FD: fd, spare: openSpare()}, hostport, nil
}

// Accept takes the next waiting connection, already non-blocking and close-on-exec. It
// returns -1 and no error when none is waiting (EAGAIN).
func (l *Listener) Accept() (int, error) {
	for {
		fd, err := acceptNonblocking(l.FD)
		switch err {
		case nil:
			return fd, nil
		case unix.EAGAIN:
			return -1, nil
		case unix.EINTR, unix.ECONNABORTED:
			// A signal, or a client that reset while it waited in the queue: try the next.
		case unix.EMFILE, unix.ENFILE:
			if !l.refuseOne() {
				return -1, nil
			}
		default:
			return -1, os.NewSyscallError("accept", err)
		}
	}
}

// outOfFilesPause is how long refuseOne stalls the caller when it has no spare to give up.
// It is the only place a non-blocking server sleeps on purpose.
const outOfFilesPause = 50 * time.Millisecond

// refuseOne handles a full descriptor table. A connection that cannot be accepted stays in
// the queue and the listener stays readable: a loop that only retries would spin. Giving up
// the spare makes room to accept it and close it at once; its client learns it was refused
// instead of waiting for a server that cannot take it, and the queue shrinks. (The kernel
// checks the table before the queue, so the queue may just as well be empty.) refuseOne
// reports whether it refused a connection, and so whether another may be waiting.
func (l *Listener) refuseOne() bool {
	if l.spare < 0 {
		// Lost earlier to another thread's open: the process, or the whole system, is
		// out of files. Back off rather than spin, and try for a spare next time.
		time.Sleep(outOfFilesPause)
		l.spare = openSpare()
		return false
	}
	Close(l.spare)
	fd, err := acceptNonblocking(l.FD)
	if err == nil {
		Close(fd)
	}
	l.spare = openSpare()
	return err == nil || err == unix.EINTR || err == unix.ECONNABORTED
}

func openSpare() int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// Conn is one client connection of a non-blocking server: its descriptor and its protocol
// session. No method waits; each makes at most one system call and says what came of it.
type Conn struct {
	FD        int
	session   *kv.Session
	inputDone bool // read no more: the peer sent FIN, or broke the protocol
}

func NewConn(fd int, store *kv.Store) *Conn {
	return &Conn{FD: fd, session: kv.NewSession(store)}
}

// Read reads once, whatever has arrived up to len(buf), and feeds it to the session; buf can
// be shared by every connection of a loop, since the session keeps what it needs. Read
// returns how many bytes arrived: 0 means nothing was waiting (EAGAIN) or the peer finished
// sending (then WantsRead turns false). An error means the socket is broken: close it.
func (c *Conn) Read(buf []byte) (int, error) {
	for {
		n, err := unix.Read(c.FD, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, nil
		case err != nil:
			return 0, err
		case n == 0:
			c.inputDone = true
			return 0, nil
		}
		if err := c.session.Feed(buf[:n]); err != nil {
			// A frame too large: read nothing more, but the answers to the frames
			// before it are still owed, so the connection closes once they are out.
			logEnd(c.FD, err)
			c.inputDone = true
		}
		return n, nil
	}
}

// Flush writes what the session has to send, as much as the socket's send buffer takes now,
// in one write(2). It returns how many bytes went out; 0 means the buffer was full (EAGAIN).
// A short write means the same thing for the rest, so it is left for when the socket turns
// writable rather than tried again at once.
func (c *Conn) Flush() (int, error) {
	out := c.session.Output()
	if len(out) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Write(c.FD, out)
		switch err {
		case nil:
			c.session.Written(n)
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, err // EPIPE, ECONNRESET: the peer is gone
		}
	}
}

// EndInput stops reading. A caller uses it when the kernel has said the peer sent FIN and
// a read has just taken everything before it, so another read would only return 0.
func (c *Conn) EndInput() { c.inputDone = true }

// WantsRead reports whether the connection still reads.
func (c *Conn) WantsRead() bool { return !c.inputDone }

// WantsWrite reports whether responses are waiting to be written.
func (c *Conn) WantsWrite() bool { return len(c.session.Output()) > 0 }

// Done reports whether the connection is over: nothing more to read, nothing owed.
func (c *Conn) Done() bool { return c.inputDone && !c.WantsWrite() }

// Serve does what the readiness the kernel reported allows: read once if readable, then
// write pending responses, whether the socket was reported writable or the read just made
// some (a send buffer is almost never full, so waiting to hear that the socket is writable
// would only cost another round). It reports whether the connection is still open; when it
// is not, the caller must Close it, with the error if there was one.
func (c *Conn) Serve(readable, writable bool, buf []byte) (open bool, err error) {
	if readable && c.WantsRead() {
		if _, err := c.Read(buf); err != nil {
			return false, err
		}
	}
	if readable || writable {
		if _, err := c.Flush(); err != nil {
			return false, err
		}
	}
	return !c.Done(), nil
}

// Close closes the connection; err, if not nil, is why, for the log.
func (c *Conn) Close(err error) {
	if err != nil {
		logEnd(c.FD, err)
	}
	Close(c.FD)
}
