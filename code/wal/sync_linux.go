package wal

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes a file's data durable with fdatasync, which skips the metadata a reader
// does not need (the modification time) but not the size: an append still costs a journal
// commit, just not a second one for the timestamps.
func syncData(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return os.NewSyscallError("fdatasync", err)
		}
	}
}
