//go:build darwin || netbsd || openbsd

package sock

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptNonblocking accepts a connection and then sets its flags with fcntl, for kernels (or
// x/sys ports) without accept4. Holding syscall.ForkLock keeps os/exec from forking between
// the accept and the close-on-exec flag, the window accept4 exists to close.
func acceptNonblocking(fd int) (int, error) {
	syscall.ForkLock.RLock()
	conn, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(conn)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(conn, true); err != nil {
		unix.Close(conn)
		return -1, err
	}
	return conn, nil
}
