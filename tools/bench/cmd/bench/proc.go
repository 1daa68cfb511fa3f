package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It is 100 on every
// Linux configuration Go supports; sysconf would need cgo to ask.
const clockTicks = 100

// procSample is what /proc says about a process at one moment.
type procSample struct {
	cpuSeconds float64 // user + system time since the process started
	rssKiB     int64
	threads    int
	fds        int
	processes  int
}

// sampleServer samples a server and its children together: forked serves each connection
// in a child process, and its cost is theirs too. The CPU time includes the children that
// have exited and been waited for (cutime and cstime). RSS is summed, so memory the
// processes share, the program's code above all, is counted once per process.
func sampleServer(pid int) (procSample, error) {
	s, err := sampleProc(pid)
	if err != nil {
		return s, err
	}
	s.cpuSeconds += reapedChildrenCPU(pid)
	for _, child := range childrenOf(pid) {
		c, err := sampleProc(child)
		if err != nil {
			continue // it has just exited
		}
		s.cpuSeconds += c.cpuSeconds
		s.rssKiB += c.rssKiB
		s.threads += c.threads
		s.fds += c.fds
		s.processes++
	}
	return s, nil
}

// childrenOf lists pid's children: each thread's /proc/PID/task/TID/children names the
// processes that thread started.
func childrenOf(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var kids []int
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// reapedChildrenCPU is the CPU time of pid's children that have exited and been waited for.
func reapedChildrenCPU(pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	if len(fields) < 15 {
		return 0
	}
	cutime, _ := strconv.ParseFloat(fields[13], 64) // field 16
	cstime, _ := strconv.ParseFloat(fields[14], 64) // field 17
	return (cutime + cstime) / clockTicks
}

func sampleProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: count fields from
	// after its closing parenthesis, where field 3 (state) begins.
	rest := stat[bytes.LastIndexByte(stat, ')')+2:]
	fields := strings.Fields(string(rest))
	if len(fields) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64) // field 14
	stime, _ := strconv.ParseFloat(fields[12], 64) // field 15
	s.cpuSeconds = (utime + stime) / clockTicks

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.rssKiB = statusField(status, "VmRSS:")
	s.threads = int(statusField(status, "Threads:"))

	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	s.processes = 1
	return s, nil
}

// statusField reads the number after name in /proc/PID/status or /proc/meminfo.
func statusField(text []byte, name string) int64 {
	for line := range strings.Lines(string(text)) {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// kernelStackKiB is the machine's total of kernel stacks, one per thread. A thread's kernel
// stack is not in its process's RSS, so this is where the cost of a thread-per-connection
// server that RSS does not show can be seen.
func kernelStackKiB() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return statusField(b, "KernelStack:")
}

// selfCPUSeconds is this process's own CPU time: the load generator's cost.
func selfCPUSeconds() float64 {
	s, err := sampleProc(os.Getpid())
	if err != nil {
		return 0
	}
	return s.cpuSeconds
}

// machineBusySeconds is the CPU time every CPU of the machine has spent not idle, from the
// first line of /proc/stat. It counts processes this benchmark cannot see (other containers
// share the kernel), which is the point: minus the server's and the generator's own time,
// it is how much the rest of the machine got in the way.
func machineBusySeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy / clockTicks
}
