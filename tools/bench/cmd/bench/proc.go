package main

import (
	"os"
	"strconv"
	"strings"

	"flavors/internal/proc"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/stat. It is 100 on every Linux
// configuration Go supports; sysconf would need cgo to ask.
const clockTicks = 100

// procSample is what /proc says about a process at one moment, in the units of the
// benchmark's tables.
type procSample struct {
	cpuSeconds float64 // user + system time since the process started
	rssKiB     int64
	threads    int
	fds        int
	processes  int
}

func sampleProc(pid int) (procSample, error) {
	return inBenchUnits(proc.ReadSample(pid))
}

// sampleServer samples a server and its children together (proc.ReadTree): forked serves
// each connection in a child process.
func sampleServer(pid int) (procSample, error) {
	return inBenchUnits(proc.ReadTree(pid))
}

func inBenchUnits(s proc.Sample, err error) (procSample, error) {
	return procSample{cpuSeconds: s.CPU.Seconds(), rssKiB: s.RSS >> 10, threads: s.Threads, fds: s.FDs,
		processes: s.Processes}, err
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
