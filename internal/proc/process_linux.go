package proc

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupLeader makes the child lead a process group of its own, and die with us: should this
// process be killed without stopping it, the kernel kills the child.
func groupLeader() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// awaitExit returns once process pid has exited, leaving it a zombie (WNOWAIT): its pid
// stays reserved until someone reaps it.
func awaitExit(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}
