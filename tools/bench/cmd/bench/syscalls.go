package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// syscallCounts is how many system calls a process made while it was watched, in total and
// for the calls worth naming.
type syscallCounts struct {
	total  int64
	byName map[string]int64
}

// named are the calls counted one by one; the rest only go into the total.
var named = []string{
	"read", "write", "readv", "writev", "recvfrom", "sendto",
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "select", "pselect6",
	"io_uring_enter", "accept4", "futex", "nanosleep", "sched_yield", "tgkill", "rt_sigreturn", "madvise", "mmap",
}

// A syscallCounter watches one process. perf counts the kernel's syscall tracepoints
// without stopping the process; strace stops it at every call, which slows it down many times
// and so changes what it measures (a slower server finds more ready per wait). perf is used
// when it works, strace otherwise.
type syscallCounter struct {
	tool string
	cmd  *exec.Cmd
	out  string
}

func startSyscallCounter(tool string, pid int, dir string) (*syscallCounter, error) {
	out := filepath.Join(dir, fmt.Sprintf("syscalls-%d.txt", pid))
	var argv []string
	switch tool {
	case "perf":
		events := []string{"raw_syscalls:sys_enter"}
		for _, n := range named {
			events = append(events, "syscalls:sys_enter_"+n)
		}
		argv = []string{"perf", "stat", "-x", ",", "-o", out, "-e", strings.Join(events, ","), "-p", strconv.Itoa(pid)}
	case "strace":
		argv = []string{"strace", "-c", "-f", "-o", out, "-p", strconv.Itoa(pid)}
	default:
		return nil, fmt.Errorf("unknown syscall counter %q", tool)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Neither tool says when it is attached. Both are within a few milliseconds; the
	// server is idle meanwhile, and an idle Go server makes a handful of calls a second.
	time.Sleep(500 * time.Millisecond)
	return &syscallCounter{tool: tool, cmd: cmd, out: out}, nil
}

// stop detaches and returns the counts.
func (c *syscallCounter) stop() (syscallCounts, error) {
	c.cmd.Process.Signal(syscall.SIGINT)
	c.cmd.Wait()
	defer os.Remove(c.out)
	b, err := os.ReadFile(c.out)
	if err != nil {
		return syscallCounts{}, err
	}
	if c.tool == "perf" {
		return parsePerfStat(string(b))
	}
	return parseStraceSummary(string(b))
}

// parsePerfStat reads perf stat -x, output: "count,unit,event,...".
func parsePerfStat(text string) (syscallCounts, error) {
	counts := syscallCounts{byName: map[string]int64{}}
	found := false
	for line := range strings.Lines(text) {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 3 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue // "<not counted>", "<not supported>"
		}
		switch name := f[2]; {
		case name == "raw_syscalls:sys_enter":
			counts.total, found = n, true
		case strings.HasPrefix(name, "syscalls:sys_enter_"):
			counts.byName[strings.TrimPrefix(name, "syscalls:sys_enter_")] = n
		}
	}
	if !found {
		return counts, fmt.Errorf("perf stat: no raw_syscalls count in %q", text)
	}
	return counts, nil
}

// parseStraceSummary reads the table strace -c prints: "% time seconds usecs/call calls
// errors syscall", ending with a "total" row.
func parseStraceSummary(text string) (syscallCounts, error) {
	counts := syscallCounts{byName: map[string]int64{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		calls, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			continue
		}
		name := f[len(f)-1]
		if name == "total" {
			counts.total = calls
		} else {
			counts.byName[name] = calls
		}
	}
	if counts.total == 0 {
		return counts, fmt.Errorf("strace: no total in %q", text)
	}
	return counts, nil
}

// top returns the n calls made most often, as "read 1.00, write 1.00".
func (c syscallCounts) top(n int, per float64) string {
	type kv struct {
		name string
		n    int64
	}
	var all []kv
	for name, k := range c.byName {
		if k > 0 {
			all = append(all, kv{name, k})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n })
	var parts []string
	for i, e := range all {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", e.name, float64(e.n)/per))
	}
	return strings.Join(parts, ", ")
}

// syscallTool picks perf if it can count tracepoints here, strace if not, "" if neither.
func syscallTool(want string) string {
	if want != "auto" {
		return want
	}
	if exec.Command("perf", "stat", "-e", "raw_syscalls:sys_enter", "-o", "/dev/null", "true").Run() == nil {
		return "perf"
	}
	if _, err := exec.LookPath("strace"); err == nil {
		return "strace"
	}
	return ""
}
