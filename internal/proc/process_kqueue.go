//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package proc

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupLeader makes the child lead a process group of its own. (The BSDs have no
// parent-death signal: a child outlives a parent killed with -9.)
func groupLeader() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// awaitExit returns once process pid has exited. kqueue's NOTE_EXIT reports the exit
// without reaping, so the pid stays reserved until someone does.
func awaitExit(pid int) {
	kq, err := unix.Kqueue()
	if err != nil {
		return
	}
	defer unix.Close(kq)
	var watch unix.Kevent_t
	unix.SetKevent(&watch, pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	watch.Fflags = unix.NOTE_EXIT
	got := make([]unix.Kevent_t, 1)
	for {
		_, err := unix.Kevent(kq, []unix.Kevent_t{watch}, got, nil)
		// ESRCH: it exited before the watch began, and is a zombie already.
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}
