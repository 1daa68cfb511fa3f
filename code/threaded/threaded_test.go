package main

import (
	"os"
	"strconv"
	"testing"
	"time"

	"flavors/code/kv"
)

// TestClientsAreServedSideBySide is the blocking chapter's test turned around: with A
// connected and idle, B is answered.
func TestClientsAreServedSideBySide(t *testing.T) {
	srv := startServer(t, "threaded")

	a := dial(t, srv.Addr)
	if err := a.Put("turn", "A connected"); err != nil {
		t.Fatal(err)
	}
	// A's goroutine now sleeps in read(2), holding its thread.

	b := dial(t, srv.Addr)
	answered := make(chan error, 1)
	go func() { answered <- b.Put("turn", "B served") }()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // fails a hung test, proves nothing
		t.Fatal("B got no answer while A was connected")
	}

	// A is still connected, and sees what B did.
	if v, err := a.Get("turn"); err != nil || v != "B served" {
		t.Fatalf("A read %q, %v; want B's value", v, err)
	}
}

// TestIdleConnectionsHoldThreads opens the same number of idle connections to threaded and
// to gonet and counts each server's threads.
func TestIdleConnectionsHoldThreads(t *testing.T) {
	const idle = 200
	threaded := startServer(t, "threaded")
	gonet := startServer(t, "gonet")
	openIdle(t, threaded.Addr, idle)
	openIdle(t, gonet.Addr, idle)

	// Each of threaded's goroutines takes its thread once it is back in read(2); wait for
	// the last one to get there. The deadline only fails a test that would hang.
	deadline := time.Now().Add(30 * time.Second)
	for threads(t, threaded.Pid) < idle {
		if time.Now().After(deadline) {
			t.Fatalf("threaded: %d threads for %d idle connections; want at least %d",
				threads(t, threaded.Pid), idle, idle)
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := threads(t, gonet.Pid)
	t.Logf("%d idle connections: threaded has %d threads, gonet %d",
		idle, threads(t, threaded.Pid), n)
	if n >= 50 {
		t.Fatalf("gonet: %d threads for %d idle connections; want far fewer", n, idle)
	}
}

func dial(t *testing.T, addr string) *kv.Client {
	t.Helper()
	c, err := kv.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// openIdle opens n connections to addr and completes one request on each, which proves the
// server has accepted it, then leaves them open and silent until the test ends.
func openIdle(t *testing.T, addr string, n int) {
	t.Helper()
	for i := range n {
		if err := dial(t, addr).Put("idle", "yes"); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
}

// threads counts the threads of process pid: one directory per thread in /proc/PID/task.
func threads(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(tasks)
}
