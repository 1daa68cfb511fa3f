package kv_test

import (
	"bufio"
	"flag"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"flavors/code/kv"
)

func TestAddrFlag(t *testing.T) {
	addr := kv.AddrFlag()
	if *addr != "127.0.0.1:7070" {
		t.Fatalf("default -addr %q", *addr)
	}
	if flag.Lookup("addr") == nil {
		t.Fatal("-addr not defined on the default flag set")
	}
}

func TestAnnounce(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	kv.Announce("127.0.0.1:1234")
	os.Stdout = stdout
	w.Close()
	got, _ := io.ReadAll(r)
	if string(got) != "listening on 127.0.0.1:1234\n" {
		t.Fatalf("Announce printed %q", got)
	}
}

// TestExitOnSignal runs this test binary again as a child that calls
// ExitOnSignal and then blocks forever; SIGTERM must end it with status 0.
func TestExitOnSignal(t *testing.T) {
	if os.Getenv("KV_EXIT_ON_SIGNAL_CHILD") == "1" {
		kv.ExitOnSignal()
		os.Stdout.WriteString("ready\n")
		select {}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExitOnSignal$")
	cmd.Env = append(os.Environ(), "KV_EXIT_ON_SIGNAL_CHILD=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child is ready once the handler is installed; a signal before that
	// would kill it the default way.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q, %v", line, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child exited with %v, want status 0", err)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("child still running a minute after SIGTERM")
	}
}
