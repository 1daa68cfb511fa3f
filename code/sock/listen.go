// Package sock is the book's thin layer over the socket system calls. Each function is one
// system call plus the retries the kernel expects of every caller, so nothing hides where a
// program sleeps. Descriptors are plain ints, as the kernel hands them out.
package sock

import (
	"os"

	"golang.org/x/sys/unix"
)

// backlog bounds the queue of connections the kernel has already completed (the handshake is
// done) but the program has not yet accepted. The kernel silently caps it at
// /proc/sys/net/core/somaxconn; asking for the maximum lets that file decide.
const backlog = unix.SOMAXCONN

// Listen opens a TCP socket listening on addr ("host:port"; port 0 picks a free port) and
// returns its descriptor and the address it really listens on. The descriptor is in blocking
// mode: accept(2) on it sleeps until a connection arrives.
func Listen(addr string) (fd int, hostport string, err error) {
	sa, err := sockaddr(addr)
	if err != nil {
		return -1, "", err
	}
	fd, err = unix.Socket(family(sa), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, "", os.NewSyscallError("socket", err)
	}
	if err := bindAndListen(fd, sa); err != nil {
		unix.Close(fd)
		return -1, "", err
	}
	hostport, err = localAddr(fd)
	if err != nil {
		unix.Close(fd)
		return -1, "", err
	}
	return fd, hostport, nil
}

func bindAndListen(fd int, sa unix.Sockaddr) error {
	// A server that restarts finds its old connections in TIME_WAIT, still holding the port
	// for a minute or two; without SO_REUSEADDR bind fails with EADDRINUSE until they expire.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}
