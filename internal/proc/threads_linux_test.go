package proc

import (
	"os"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A thread of this very process names itself and sleeps in epoll_wait on an instance that
// watches one end of a socket pair: /proc must show the instance watching it, the thread
// waiting in it, and the thread's name.
func TestEpollWatchedAndWaiting(t *testing.T) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pair[0])
	defer unix.Close(pair[1])
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(epfd)
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(pair[0])}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, pair[0], &ev); err != nil {
		t.Fatal(err)
	}
	woken := make(chan struct{})
	go func() {
		// Locked and never unlocked: the thread, with its name, ends with the goroutine.
		runtime.LockOSThread()
		name, _ := unix.BytePtrFromString("waiter")
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
		events := make([]unix.EpollEvent, 1)
		for {
			if n, err := unix.EpollWait(epfd, events, -1); n > 0 || err != unix.EINTR {
				break
			}
		}
		close(woken)
	}()

	pid := os.Getpid()
	eventually(t, "the thread waits in its epoll instance", func() bool { return Waiting(pid)[epfd] == "waiter" })
	watched, err := EpollWatched(pid)
	if err != nil {
		t.Fatal(err)
	}
	if watched[pair[0]] != epfd {
		t.Errorf("descriptor %d is watched by %d; want the instance %d", pair[0], watched[pair[0]], epfd)
	}
	if _, ok := watched[pair[1]]; ok {
		t.Errorf("descriptor %d is watched, but no instance watches it", pair[1])
	}
	cpu, err := ThreadCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cpu["waiter"]; !ok {
		t.Errorf("no thread named waiter among %v", cpu)
	}
	unix.Write(pair[1], []byte{1})
	<-woken
}
