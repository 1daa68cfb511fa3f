package proc

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ThreadCPU adds up the CPU time of process pid's threads by name. A thread's name is what
// /proc/PID/task/TID/comm says: the program's, unless the thread named itself
// (prctl(PR_SET_NAME)), as the many-loops server names each loop's thread.
func ThreadCPU(pid int) (map[string]time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byName := map[string]time.Duration{}
	for _, task := range tasks {
		comm, err1 := os.ReadFile(dir + "/" + task.Name() + "/comm")
		st, err2 := readStatFile(dir + "/" + task.Name() + "/stat")
		if err1 != nil || err2 != nil {
			continue // the thread ended meanwhile
		}
		byName[strings.TrimSpace(string(comm))] += time.Duration(st.utime+st.stime) * time.Second / clockTicks
	}
	return byName, nil
}

// EpollWatched maps each descriptor that one of process pid's epoll instances watches to
// that instance's descriptor. /proc/PID/fdinfo/EPFD lists an instance's interest list, one
// "tfd:" line per watched descriptor.
func EpollWatched(pid int) (map[int]int, error) {
	fds, err := Descriptors(pid)
	if err != nil {
		return nil, err
	}
	watched := map[int]int{}
	for _, d := range fds {
		if d.Target != "anon_inode:[eventpoll]" {
			continue
		}
		f, err := os.Open(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, d.FD))
		if err != nil {
			continue // closed meanwhile
		}
		lines := bufio.NewScanner(f)
		for lines.Scan() {
			fields := strings.Fields(lines.Text())
			if len(fields) >= 2 && fields[0] == "tfd:" {
				if fd, err := strconv.Atoi(fields[1]); err == nil {
					watched[fd] = d.FD
				}
			}
		}
		f.Close()
	}
	return watched, nil
}

// Waiting maps the descriptor that each of process pid's threads is blocked on, as the first
// argument of the system call it is in (/proc/PID/task/TID/syscall), to the thread's name.
// A thread asleep in epoll_wait shows its epoll instance there; a running thread shows
// nothing.
func Waiting(pid int) map[int]string {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, _ := os.ReadDir(dir)
	waiting := map[int]string{}
	for _, task := range tasks {
		call, err1 := os.ReadFile(dir + "/" + task.Name() + "/syscall")
		comm, err2 := os.ReadFile(dir + "/" + task.Name() + "/comm")
		fields := strings.Fields(string(call))
		if err1 != nil || err2 != nil || len(fields) < 2 {
			continue // gone, or running ("running"), or not in a call ("-1 …" has no arguments)
		}
		if fd, err := strconv.ParseInt(fields[1], 0, 32); err == nil {
			waiting[int(fd)] = strings.TrimSpace(string(comm))
		}
	}
	return waiting
}
