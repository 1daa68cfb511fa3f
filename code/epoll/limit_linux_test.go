package main

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
)

// TestOutOfDescriptors squeezes the server into 64 descriptors and throws 200 connections at
// it. Accept fails with EMFILE while connections wait in the queue, so the listener stays
// readable: a loop that just retries spins there at full speed. This one must refuse the
// excess, keep answering the connections it holds, take new ones once descriptors are
// free again, and use little CPU throughout.
func TestOutOfDescriptors(t *testing.T) {
	srv := startServer(t, "epoll")
	limit := unix.Rlimit{Cur: 64, Max: 64}
	if err := unix.Prlimit(srv.pid, unix.RLIMIT_NOFILE, &limit, nil); err != nil {
		t.Fatal(err)
	}
	cpuBefore, start := cpuTime(t, srv.pid), time.Now()

	const attempts = 200
	conns := make([]net.Conn, attempts)
	for i := range conns {
		var err error
		// The kernel completes the handshake on its own, accepted or not.
		if conns[i], err = net.Dial("tcp", srv.addr); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		defer conns[i].Close()
	}
	var held []net.Conn
	for i, c := range conns {
		c.SetDeadline(time.Now().Add(10 * time.Second)) // fails a hung test, proves nothing
		err := kv.NewClient(c).Put("k", strconv.Itoa(i))
		switch {
		case err == nil:
			held = append(held, c)
		case !closedByPeer(err):
			t.Fatalf("connection %d: %v; want an answer or the connection closed", i, err)
		}
	}
	if len(held) == 0 || len(held) > 64 {
		t.Fatalf("%d of %d connections answered; want some, and no more than 64", len(held), attempts)
	}

	for i, c := range held {
		if _, err := kv.NewClient(c).Get("k"); err != nil {
			t.Fatalf("held connection %d, while the table is full: %v", i, err)
		}
	}
	for _, c := range held {
		c.Close()
	}
	if v := getFromNewConnection(t, srv.addr); v == "" {
		t.Fatal("no new connection was answered after descriptors were freed")
	}

	cpu, elapsed := cpuTime(t, srv.pid)-cpuBefore, time.Since(start)
	t.Logf("%d connections answered, %d refused; server CPU %v in %v", len(held), attempts-len(held), cpu, elapsed)
	// Generous: half the time, plus two of the 10 ms ticks the kernel counts in. A loop
	// that spins would use all of it.
	if cpu > elapsed/2+20*time.Millisecond {
		t.Errorf("the server used %v of CPU in %v: it spins while out of descriptors", cpu, elapsed)
	}
}

// getFromNewConnection dials until a connection is answered: the server may still be
// closing the connections the test just dropped, and refuse the first ones. Each try ends
// in an answer or a refusal, so the loop needs no sleep.
func getFromNewConnection(t *testing.T, addr string) string {
	t.Helper()
	for range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		v, err := kv.NewClient(c).Get("k")
		c.Close()
		if err == nil {
			return v
		}
		if !closedByPeer(err) {
			t.Fatal(err)
		}
	}
	return ""
}

func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// cpuTime reads the CPU time a process has used, user plus system, from /proc/PID/stat.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	// utime and stime are fields 14 and 15, in clock ticks of 1/100 s (USER_HZ).
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
