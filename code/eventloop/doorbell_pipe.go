//go:build !linux

package eventloop

import (
	"os"

	"golang.org/x/sys/unix"
)

// doorbell is a pipe, the classic way for one thread to wake another out of a wait where
// there is no eventfd: a byte written to one end makes the other readable.
type doorbell struct{ r, w int }

func newDoorbell() (doorbell, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return doorbell{}, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return doorbell{}, os.NewSyscallError("fcntl", err)
		}
	}
	return doorbell{r: p[0], w: p[1]}, nil
}

func (d doorbell) fd() int { return d.r }

// ring writes one byte. EAGAIN means the pipe is full, so it is ringing already.
func (d doorbell) ring() error {
	for {
		_, err := unix.Write(d.w, []byte{1})
		switch err {
		case unix.EINTR:
			continue
		case nil, unix.EAGAIN:
			return nil
		default:
			return os.NewSyscallError("write", err)
		}
	}
}

// silence empties the pipe.
func (d doorbell) silence() {
	var buf [64]byte
	for {
		n, err := unix.Read(d.r, buf[:])
		if err != unix.EINTR && n <= 0 {
			return
		}
	}
}

func (d doorbell) close() error {
	unix.Close(d.w)
	return unix.Close(d.r)
}
