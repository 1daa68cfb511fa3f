package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
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
}

// readProc reads /proc/PID/stat and counts /proc/PID/fd.
func readProc(pid int) (procSample, error) {
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
	s.fds, err = countEntries(fmt.Sprintf("/proc/%d/fd", pid))
	return s, err
}

// countEntries counts a directory's entries without building a list of them.
func countEntries(dir string) (int, error) {
	d, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n := 0
	for {
		names, err := d.Readdirnames(1024)
		n += len(names)
		if err != nil || len(names) == 0 {
			return n, nil
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

// acceptedPeers lists the remote ports of the TCP connections a server on port holds.
//
// A connection the kernel has completed but the server has not accept()ed yet waits in the
// listen queue with no socket file, so its inode in /proc/net/tcp is 0. Once accepted it has
// an inode. That is how the site tells "queued" from "accepted" without touching the server.
// The table is the network namespace's, so the server's pid only names where to read it.
func acceptedPeers(pid, port int) (map[int]bool, error) {
	peers := map[int]bool{}
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			return nil, err
		}
		err = scanTCPTable(f, port, peers)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return peers, nil
}

const tcpListen = "0A" // st column of a listening socket

func scanTCPTable(f *os.File, port int, peers map[int]bool) error {
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] == tcpListen || fields[9] == "0" {
			continue
		}
		if hexPort(fields[1]) == port {
			peers[hexPort(fields[2])] = true
		}
	}
	return sc.Err()
}

// hexPort reads the port of "0100007F:1F90".
func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	p, _ := strconv.ParseUint(addr[i+1:], 16, 16)
	return int(p)
}

// A sampler reports a server's /proc figures every sampleEvery, and tells the run which
// clients' connections the server has accepted.
type sampler struct {
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startSampler(rn *run, pid int, addr string) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{})}
	port := 0
	if _, p, err := net.SplitHostPort(addr); err == nil {
		port, _ = strconv.Atoi(p)
	}
	go s.loop(rn, pid, port)
	return s
}

func (s *sampler) loop(rn *run, pid, port int) {
	defer close(s.done)
	statsTick := time.NewTicker(sampleEvery)
	defer statsTick.Stop()
	acceptTick := time.NewTicker(acceptEvery)
	defer acceptTick.Stop()
	acceptTick.Stop() // runs only while a connection waits to be accepted
	prev, err := readProc(pid)
	if err != nil {
		return
	}
	// watchAccepts looks for newly accepted connections and keeps looking often while
	// some are still waiting.
	watchAccepts := func() (map[int]bool, error) {
		peers, err := acceptedPeers(pid, port)
		if err != nil {
			return nil, err
		}
		rn.lanes.accepted(rn, peers)
		if rn.lanes.waiting() {
			acceptTick.Reset(acceptEvery)
		} else {
			acceptTick.Stop()
		}
		return peers, nil
	}
	for {
		select {
		case <-s.quit:
			return
		case <-rn.lanes.wake:
			if _, err := watchAccepts(); err != nil {
				return
			}
		case <-acceptTick.C:
			if _, err := watchAccepts(); err != nil {
				return
			}
		case <-statsTick.C:
			cur, err := readProc(pid)
			if err != nil {
				return // the server is gone; its status event says how
			}
			peers, err := watchAccepts()
			if err != nil {
				return
			}
			rn.emit(event{Type: "stats", Stats: &stats{
				CPU: cpuPercent(prev, cur), RSS: cur.rss, Threads: cur.threads, FDs: cur.fds, Conns: len(peers),
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
