package sock

import (
	"io"

	"golang.org/x/sys/unix"
)

// Errors from Accept, Read and WriteAll are the kernel's bare errno values, as
// internal/poll returns them, so callers can compare: err == unix.EAGAIN.

// Accept takes the next completed connection off the listening socket's queue. On a
// blocking descriptor it sleeps in accept(2) while the queue is empty.
func Accept(fd int) (int, error) {
	for {
		// SOCK_CLOEXEC: a connection must not leak into a program we might exec.
		conn, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		switch err {
		case nil:
			return conn, nil
		case unix.EINTR:
			// A signal arrived while we slept; nothing is wrong, sleep again.
		case unix.ECONNABORTED:
			// The client gave up (reset) while its connection waited in the queue.
			// That is its business, not a failure of the listener: take the next one.
		default:
			return -1, err
		}
	}
}

// Read reads what has arrived on fd into p, sleeping in read(2) until at least one byte
// is there. The end of the stream (the peer closed) is io.EOF, as for any io.Reader.
func Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == unix.EINTR {
			continue // interrupted before anything arrived: read again
		}
		if err != nil {
			return 0, err // n is -1 here; never hand that to a caller
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// WriteAll writes all of p. write(2) may take less than it was given (a short write: the
// socket's send buffer filled up, or a signal arrived mid-way); the rest is written again.
// A peer that is gone shows up as EPIPE or ECONNRESET. The kernel also raises SIGPIPE,
// whose default action kills the process, but the Go runtime ignores SIGPIPE for every
// descriptor except standard output and error, so here it is only an error.
func WriteAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// Close releases fd. It is never retried, not even after EINTR: Linux has already freed the
// descriptor by then, and a second close could close one another goroutine just opened.
func Close(fd int) error {
	return unix.Close(fd)
}
