package eventloop

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// doorbell is an eventfd: a 64-bit counter in the kernel behind one descriptor, readable
// while it is not zero. A write adds to it; a read returns it and sets it back to zero.
type doorbell struct{ efd int }

func newDoorbell() (doorbell, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return doorbell{}, os.NewSyscallError("eventfd", err)
	}
	return doorbell{efd}, nil
}

func (d doorbell) fd() int { return d.efd }

func (d doorbell) ring() error {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		_, err := unix.Write(d.efd, one[:])
		if err != unix.EINTR {
			return os.NewSyscallError("write", err)
		}
	}
}

// silence sets the counter back to zero; EAGAIN means it already was.
func (d doorbell) silence() {
	var n [8]byte
	for {
		if _, err := unix.Read(d.efd, n[:]); err != unix.EINTR {
			return
		}
	}
}

func (d doorbell) close() error { return unix.Close(d.efd) }
