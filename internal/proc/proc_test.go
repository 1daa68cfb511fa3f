package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the child of TestReadSample: a process whose figures the test knows.
func TestMain(m *testing.M) {
	if os.Getenv("PROC_TEST_CHILD") == "1" {
		sampledChild()
		return
	}
	os.Exit(m.Run())
}

const (
	childSockets = 5
	childMiB     = 64
	childCPU     = 200 * time.Millisecond
)

// listeners are kept in a global: the collector would close them.
var listeners []net.Listener

// sampledChild opens childSockets listeners, touches childMiB of memory, burns childCPU of
// CPU time by its own account, says so, and waits to be killed.
func sampledChild() {
	for range childSockets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		listeners = append(listeners, ln)
	}
	mem := make([]byte, childMiB<<20)
	for i := range mem {
		mem[i] = 1
	}
	for {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		if used >= childCPU {
			fmt.Printf("ready %d %d\n", len(mem), len(listeners))
			break
		}
	}
	select {}
}

func start(t *testing.T, name string, args ...string) (*Process, *[]string) {
	t.Helper()
	var lines []string
	p, err := Start(exec.Command(name, args...), func(l string) { lines = append(lines, l) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	return p, &lines
}

func firstLine(t *testing.T, p *Process) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	line, err := p.FirstLine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// running reports whether pid is a process that has not exited (a zombie has).
func running(pid int) bool {
	st, err := readStat(pid)
	return err == nil && st.state != 'Z'
}

// eventually polls cond until it holds, for state the kernel settles asynchronously (a
// killed process dying); it fails only a hung test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after a minute", what)
		}
	}
}

// Kill takes down the leader and everything it started, and reaps the leader.
func TestKillTakesTheGroup(t *testing.T) {
	p, _ := start(t, "sh", "-c", "sleep 300 & echo $!; wait")
	grandchild, err := strconv.Atoi(firstLine(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if m := GroupMembers(p.Pid()); len(m) != 2 {
		t.Fatalf("group %d: %v, want the shell and its sleep", p.Pid(), m)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprint("/proc/", p.Pid())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leader is still in /proc after Kill: %v", err)
	}
	if c := Children(os.Getpid()); len(c) != 0 {
		t.Errorf("children left: %v", c)
	}
	eventually(t, "the grandchild dies", func() bool { return !running(grandchild) })
	if got := p.State().String(); got != "signal: killed" {
		t.Errorf("state %q", got)
	}
}

// A leader that has exited stays a zombie, its pid (the group's id) reserved, until Reap;
// Reap then kills what it left behind in its group before freeing the pid.
func TestReapKillsWhatTheLeaderLeft(t *testing.T) {
	p, _ := start(t, "sh", "-c", "sleep 300 & echo $!")
	grandchild, err := strconv.Atoi(firstLine(t, p))
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if st, err := readStat(p.Pid()); err != nil || st.state != 'Z' {
		t.Fatalf("after Exited the leader should be a zombie: %+v, %v", st, err)
	}
	if !running(grandchild) {
		t.Fatal("the grandchild should outlive the leader until Reap")
	}
	if err := p.Reap(); err != nil {
		t.Fatal(err)
	}
	if p.State().ExitCode() != 0 {
		t.Errorf("state %v", p.State())
	}
	eventually(t, "the grandchild dies", func() bool { return !running(grandchild) })
	p.Signal(syscall.SIGKILL) // after Reap: must do nothing, and not panic
}

// Terminate says whether the program went by itself on SIGTERM; one that ignores it is
// killed.
func TestTerminate(t *testing.T) {
	polite, _ := start(t, "sh", "-c", "echo ready; exec sleep 300")
	firstLine(t, polite)
	if clean, err := polite.Terminate(time.Minute); !clean || err != nil {
		t.Errorf("polite: clean %v, %v", clean, err)
	}
	if got := polite.State().String(); got != "signal: terminated" {
		t.Errorf("polite: %q", got)
	}

	// An ignored signal stays ignored across exec, so sleep ignores SIGTERM too.
	stubborn, _ := start(t, "sh", "-c", `trap "" TERM; echo ready; exec sleep 300`)
	firstLine(t, stubborn)
	if clean, err := stubborn.Terminate(100 * time.Millisecond); clean || err != nil {
		t.Errorf("stubborn: clean %v, %v", clean, err)
	}
	if got := stubborn.State().String(); got != "signal: killed" {
		t.Errorf("stubborn: %q", got)
	}
}

// FirstLine hands over the first line of standard output; every line still reaches the
// caller's function, the last one even without a newline.
func TestFirstLine(t *testing.T) {
	p, lines := start(t, "sh", "-c", `echo listening on 127.0.0.1:1; echo more; printf tail`)
	if got := firstLine(t, p); got != "listening on 127.0.0.1:1" {
		t.Errorf("first line %q", got)
	}
	if err := p.Reap(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"listening on 127.0.0.1:1", "more", "tail"}; !reflect.DeepEqual(*lines, want) {
		t.Errorf("lines %q, want %q", *lines, want)
	}

	silent, _ := start(t, "sh", "-c", "exit 3")
	if _, err := silent.FirstLine(context.Background()); !errors.Is(err, ErrExited) {
		t.Errorf("a program that prints nothing: %v", err)
	}
	if err := silent.Reap(); err != nil || silent.State().ExitCode() != 3 {
		t.Errorf("exit status: %v, %v", silent.State(), err)
	}

	quiet, _ := start(t, "sleep", "300")
	ctx, cancel := context.WithCancelCause(context.Background())
	why := errors.New("the reader gave up")
	cancel(why)
	if _, err := quiet.FirstLine(ctx); err != why {
		t.Errorf("cancelled: %v", err)
	}
}

func TestLineWriter(t *testing.T) {
	var lines []string
	w := newLineWriter(func(l string) { lines = append(lines, l) })
	for _, p := range []string{"one\ntw", "o\n", "\n", strings.Repeat("x", MaxLine+10), "tail\nlast\n", "partial"} {
		w.Write([]byte(p))
	}
	w.flush()
	want := []string{"one", "two", "", strings.Repeat("x", MaxLine) + " …", "last", "partial"}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("got %q", lines)
	}
}

// A sample of a process whose sockets, memory and CPU time are known.
func TestReadSample(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PROC_TEST_CHILD=1")
	p, err := Start(cmd, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if line := firstLine(t, p); !strings.HasPrefix(line, "ready") {
		t.Fatalf("child said %q", line)
	}
	s, err := ReadSample(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if s.Sockets != childSockets {
		t.Errorf("sockets %d, want %d", s.Sockets, childSockets)
	}
	if s.FDs < childSockets+3 {
		t.Errorf("descriptors %d, want at least stdin, stdout, stderr and %d sockets", s.FDs, childSockets)
	}
	if s.RSS < childMiB<<20 || s.VM < s.RSS {
		t.Errorf("RSS %d MiB, VM %d MiB; want at least the %d MiB the child touched", s.RSS>>20, s.VM>>20, childMiB)
	}
	// The kernel counts in ticks of 10 ms; the child stopped at childCPU by its own account.
	if s.CPU < childCPU-10*time.Millisecond {
		t.Errorf("CPU %v, want at least %v", s.CPU, childCPU)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Threads != len(tasks) {
		t.Errorf("threads %d, /proc/PID/task has %d", s.Threads, len(tasks))
	}
	fds, err := Descriptors(p.Pid())
	if err != nil || len(fds) != s.FDs || fds[0].String() == "" {
		t.Errorf("Descriptors: %v, %v", fds, err)
	}
}

// An exited process that has not been waited for is a zombie: its stat still reads, with no
// memory. ReadSample must say it exited rather than report a process of 0 bytes.
func TestReadSampleOfAnExitedProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$") // TestMain with no test to run: exits at once
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		st, err := readStat(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child has not exited after a minute")
		}
	}
	if s, err := ReadSample(cmd.Process.Pid); !errors.Is(err, ErrGone) {
		t.Fatalf("ReadSample of a zombie: %+v, %v; want ErrGone", s, err)
	}
}

func TestCPUPercent(t *testing.T) {
	at := time.Now()
	a := Sample{At: at, CPU: time.Second}
	b := Sample{At: at.Add(2 * time.Second), CPU: 2500 * time.Millisecond}
	if got := CPUPercent(a, b); got != 75 {
		t.Errorf("CPUPercent = %v, want 75", got)
	}
	if got := CPUPercent(b, b); got != 0 {
		t.Errorf("no time passed: %v", got)
	}
}

// TestReadTree samples a shell that started two children like TestReadSample's: the three
// processes together, the children's memory and CPU time added, their sockets not.
func TestReadTree(t *testing.T) {
	ready := make(chan string, 2)
	cmd := exec.Command("sh", "-c", `"$0" -test.run='^$' & "$0" -test.run='^$' & wait`, os.Args[0])
	cmd.Env = append(os.Environ(), "PROC_TEST_CHILD=1")
	p, err := Start(cmd, func(line string) { ready <- line }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	for range 2 {
		select {
		case line := <-ready:
			if !strings.HasPrefix(line, "ready") {
				t.Fatalf("a child said %q", line)
			}
		case <-time.After(time.Minute): // fails a hung test, proves nothing
			t.Fatal("the children never said they were ready")
		}
	}
	s, err := ReadTree(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if s.Processes != 3 {
		t.Errorf("processes %d, want the shell and its two children", s.Processes)
	}
	if s.RSS < 2*childMiB<<20 {
		t.Errorf("RSS %d MiB, want at least the 2 × %d MiB the children touched", s.RSS>>20, childMiB)
	}
	if s.CPU < 2*(childCPU-10*time.Millisecond) {
		t.Errorf("CPU %v, want at least 2 × %v", s.CPU, childCPU)
	}
	if s.Sockets != 0 {
		t.Errorf("sockets %d, want the shell's own: none", s.Sockets)
	}
}
