package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux fixes it at
// 100 on every architecture Go runs on (sysconf(_SC_CLK_TCK), which needs cgo, only
// reports it).
const clockTicks = 100

// A Sample is what one look at /proc/PID says about a process.
type Sample struct {
	At      time.Time
	CPU     time.Duration // user + system time of all its threads, dead ones included
	RSS     int64         // resident memory, bytes
	VM      int64         // virtual memory, bytes: grows with a huge allocation even if untouched
	Threads int
	FDs     int // open descriptors
	Sockets int // of them, sockets

	Processes int // 1, or with ReadTree the process and its children
}

// ErrGone is ReadSample's answer for a process that has exited, or is exiting.
var ErrGone = errors.New("the process has exited")

// ReadSample reads /proc/PID/stat and the descriptors in /proc/PID/fd.
func ReadSample(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	st, err := readStat(pid)
	if err != nil {
		return s, err
	}
	// An exiting process has given its memory back before it becomes a zombie, whose stat
	// still reads until it is waited for. Either would be sampled as a server of no memory
	// and a thread or two, a moment that never happened while it served: the Run panel
	// showed a crashed server's last figures as 0.0 MiB. A live process always has
	// resident pages.
	if st.state == 'Z' || st.state == 'X' || st.rssPages == 0 {
		return s, ErrGone
	}
	s.CPU = time.Duration(st.utime+st.stime) * time.Second / clockTicks
	s.RSS, s.VM, s.Threads = st.rssPages*int64(os.Getpagesize()), st.vsize, st.threads
	fds, err := Descriptors(pid)
	if err != nil {
		return s, err
	}
	s.FDs = len(fds)
	for _, d := range fds {
		if strings.HasPrefix(d.Target, "socket:") {
			s.Sockets++
		}
	}
	s.Processes = 1
	return s, nil
}

// ReadTree is ReadSample for a server and its children together: forked serves each
// connection in a child process, and what the children cost is the server's cost. The CPU
// time includes the children that have exited and been waited for (cutime and cstime). RSS
// is summed, so pages the processes share, the program's code above all, count once per
// process. Sockets stay the parent's own: its listener and its line to each child.
func ReadTree(pid int) (Sample, error) {
	s, err := ReadSample(pid)
	if err != nil {
		return s, err
	}
	if st, err := readStat(pid); err == nil {
		s.CPU += time.Duration(st.cutime+st.cstime) * time.Second / clockTicks
	}
	for _, child := range Children(pid) {
		c, err := ReadSample(child)
		if err != nil {
			continue // it has just exited
		}
		s.CPU += c.CPU
		s.RSS += c.RSS
		s.VM += c.VM
		s.Threads += c.Threads
		s.FDs += c.FDs
		s.Processes++
	}
	return s, nil
}

// CPUPercent is the CPU used between two samples, in percent of one core, to 0.1.
func CPUPercent(prev, cur Sample) float64 {
	wall := cur.At.Sub(prev.At).Seconds()
	if wall <= 0 {
		return 0
	}
	return float64(int((cur.CPU-prev.CPU).Seconds()/wall*1000)) / 10
}

// A Descriptor is one entry of /proc/PID/fd: the number and what it refers to, such as
// "socket:[5703637]", "anon_inode:[eventpoll]" or a path.
type Descriptor struct {
	FD     int
	Target string
}

func (d Descriptor) String() string { return strconv.Itoa(d.FD) + " -> " + d.Target }

// Descriptors lists the open descriptors of process pid.
func Descriptors(pid int) ([]Descriptor, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Descriptor
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			fd, _ := strconv.Atoi(name)
			// A descriptor closed meanwhile has no link any more; it is still counted, as
			// it was open when the directory was read.
			target, _ := os.Readlink(dir + "/" + name)
			out = append(out, Descriptor{FD: fd, Target: target})
		}
		if err != nil || len(names) == 0 {
			return out, nil
		}
	}
}

// Children lists the processes whose parent is pid, zombies included.
func Children(pid int) []int {
	return scan(func(st stat) bool { return st.ppid == pid })
}

// GroupMembers lists the processes in group pgid, zombies included.
func GroupMembers(pgid int) []int {
	return scan(func(st stat) bool { return st.pgrp == pgid })
}

func scan(match func(stat) bool) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && match(st) { // an error: gone meanwhile
			out = append(out, pid)
		}
	}
	return out
}

// stat is what this package reads of /proc/PID/stat.
type stat struct {
	state        byte // R, S, D, Z (zombie), …
	ppid, pgrp   int
	utime, stime int64 // clock ticks
	// of the children that have exited and been waited for, clock ticks
	cutime, cstime int64
	threads        int
	vsize          int64 // bytes
	rssPages       int64
}

func readStat(pid int) (stat, error) {
	return readStatFile(fmt.Sprintf("/proc/%d/stat", pid))
}

// readStatFile reads a stat file: a process's, or one thread's (/proc/PID/task/TID/stat).
func readStatFile(path string) (stat, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return stat{}, err
	}
	// The command name (field 2) may hold spaces and parentheses; fields resume after the
	// last ')'. f[0] is then field 3, so field N is f[N-3].
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return stat{}, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 22 {
		return stat{}, errors.New("short /proc stat")
	}
	n := func(field int) int64 {
		v, _ := strconv.ParseInt(f[field-3], 10, 64)
		return v
	}
	return stat{
		state: f[0][0], ppid: int(n(4)), pgrp: int(n(5)),
		utime: n(14), stime: n(15), cutime: n(16), cstime: n(17),
		threads: int(n(20)), vsize: n(23), rssPages: n(24),
	}, nil
}
