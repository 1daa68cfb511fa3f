package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux fixes it at
// 100 on every architecture Go runs on (sysconf(_SC_CLK_TCK) only reports it).
const clockTicks = 100

// procSample is what one look at /proc/PID says.
type procSample struct {
	at       time.Time
	cpuTicks int64 // utime + stime: CPU time of all threads, dead ones included
	rss      int64 // bytes
	threads  int
	fds      int
	sockets  int // descriptors that are sockets
}

// readProc reads /proc/PID/stat and counts /proc/PID/fd, then adds the CPU, memory, threads
// and descriptors of the process's children: forked serves each connection in a child, and
// what the children cost is the server's cost. Sockets stay the parent's own, so the
// connection count is not counted twice.
func readProc(pid int) (procSample, error) {
	s, err := readOneProc(pid)
	if err != nil {
		return s, err
	}
	s.cpuTicks += reapedChildrenTicks(pid)
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, f := range strings.Fields(string(b)) {
			child, _ := strconv.Atoi(f)
			c, err := readOneProc(child)
			if err != nil {
				continue // it has just exited
			}
			s.cpuTicks, s.rss, s.threads, s.fds = s.cpuTicks+c.cpuTicks, s.rss+c.rss, s.threads+c.threads, s.fds+c.fds
		}
	}
	return s, nil
}

// reapedChildrenTicks is the CPU time of pid's children that have exited and been waited
// for (cutime and cstime): a child's time moves there when it is reaped.
func reapedChildrenTicks(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	i := bytes.LastIndexByte(raw, ')')
	if err != nil || i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 22 {
		return 0
	}
	cutime, _ := strconv.ParseInt(f[16-3], 10, 64)
	cstime, _ := strconv.ParseInt(f[17-3], 10, 64)
	return cutime + cstime
}

// readOneProc reads one process's /proc/PID/stat and counts its /proc/PID/fd.
func readOneProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces and parentheses; fields resume after the
	// last ')'. f[0] is then field 3, so field N is f[N-3].
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return s, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 22 {
		return s, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[14-3], 10, 64)
	stime, _ := strconv.ParseInt(f[15-3], 10, 64)
	threads, _ := strconv.Atoi(f[20-3])
	rssPages, _ := strconv.ParseInt(f[24-3], 10, 64)
	s.cpuTicks, s.threads, s.rss = utime+stime, threads, rssPages*int64(os.Getpagesize())
	s.fds, s.sockets, err = countDescriptors(fmt.Sprintf("/proc/%d/fd", pid))
	return s, err
}

// countDescriptors counts the entries of a /proc fd directory, and those that are sockets
// (their link reads "socket:[INODE]").
func countDescriptors(dir string) (fds, sockets int, err error) {
	d, err := os.Open(dir)
	if err != nil {
		return 0, 0, err
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			fds++
			if link, err := os.Readlink(dir + "/" + name); err == nil && strings.HasPrefix(link, "socket:") {
				sockets++
			}
		}
		if err != nil || len(names) == 0 {
			return fds, sockets, nil
		}
	}
}

// cpuPercent is the CPU used between two samples, in percent of one core.
func cpuPercent(prev, cur procSample) float64 {
	wall := cur.at.Sub(prev.at).Seconds()
	if wall <= 0 {
		return 0
	}
	used := float64(cur.cpuTicks-prev.cpuTicks) / clockTicks
	return float64(int(used/wall*1000)) / 10
}

// A sampler reports a server's /proc figures every sampleEvery, and tells the run which
// clients' connections the server has accepted.
type sampler struct {
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startSampler(rn *run, pid int) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop(rn, pid)
	return s
}

func (s *sampler) loop(rn *run, pid int) {
	defer close(s.done)
	statsTick := time.NewTicker(sampleEvery)
	defer statsTick.Stop()
	acceptTick := time.NewTicker(acceptEvery)
	defer acceptTick.Stop()
	acceptTick.Stop() // runs only while a lane's connection waits to be accepted
	prev, err := readProc(pid)
	if err != nil {
		return
	}
	watchAccepts := func() bool {
		waiting, err := rn.lanes.check(rn)
		if err != nil {
			return false
		}
		if waiting {
			acceptTick.Reset(acceptEvery)
		} else {
			acceptTick.Stop()
		}
		return true
	}
	for {
		select {
		case <-s.quit:
			return
		case <-rn.lanes.wake:
			if !watchAccepts() {
				return
			}
		case <-acceptTick.C:
			if !watchAccepts() {
				return
			}
		case <-statsTick.C:
			cur, err := readProc(pid)
			if err != nil || !watchAccepts() {
				return // the server is gone; its status event says how
			}
			rn.emit(event{Type: "stats", Stats: &stats{
				CPU: cpuPercent(prev, cur), RSS: cur.rss, Threads: cur.threads, FDs: cur.fds,
				Conns: max(cur.sockets-1, 0), // every socket but the listener
			}})
			prev = cur
		}
	}
}

// stop ends sampling and returns once the sampler has let go of the pid.
func (s *sampler) stop() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
}
