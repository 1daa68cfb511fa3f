//go:build dragonfly || freebsd || linux

package sock

import "golang.org/x/sys/unix"

// acceptNonblocking accepts a connection that is non-blocking and close-on-exec from birth:
// accept4(2) sets both flags in the same system call, so no other thread can fork and exec
// between the accept and an fcntl and leak the descriptor into a child.
func acceptNonblocking(fd int) (int, error) {
	conn, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return conn, err
}
