package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
)

// TestRefusesWhatSelectCannotWatch opens more connections than an FdSet has bits. The server
// must close the ones whose descriptors are 1024 or more, and go on serving the rest.
func TestRefusesWhatSelectCannotWatch(t *testing.T) {
	const extra = 1100 // beyond FD_SETSIZE, with room to spare for the server's own descriptors
	raiseFileLimit(t, 2*extra+100)
	addr := startServer(t, "select")
	old, err := kv.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.Put("k", "v"); err != nil {
		t.Fatal(err)
	}

	conns := make([]net.Conn, extra)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", addr); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		defer conns[i].Close()
	}
	// Each connection is either answered or closed; nothing hangs, nothing else happens.
	answered, refused := 0, 0
	for i, c := range conns {
		c.SetDeadline(time.Now().Add(10 * time.Second)) // fails a hung test, proves nothing
		v, err := kv.NewClient(c).Get("k")
		switch {
		case err == nil && v == "v":
			answered++
		case closedByPeer(err):
			refused++
		default:
			t.Fatalf("connection %d: got %q, %v; want the value or the connection closed", i, v, err)
		}
	}
	// The server holds at least stdin, stdout, stderr, the listener and its spare below
	// 1024, and the old connection: at most 1018 of the new ones fit.
	if refused < extra-1018 || answered == 0 {
		t.Errorf("%d answered, %d refused; want at least %d refused and some answered", answered, refused, extra-1018)
	}
	if v, err := old.Get("k"); err != nil || v != "v" {
		t.Errorf("the old client, after the refusals: %q, %v", v, err)
	}
}

// closedByPeer reports whether err says the other side closed the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// raiseFileLimit lets this process, and the servers it starts, open n descriptors. Setting
// the limit also matters when it does not change it: Go raises its own soft limit at start-up
// but gives a child the original one back, unless the program has set the limit itself.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < n {
		t.Fatalf("this test needs %d descriptors; the hard limit is %d", n, lim.Max)
	}
	old := lim
	lim.Cur = max(lim.Cur, n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// startServer builds and starts a server, and returns the address it announced.
func startServer(t *testing.T, mode string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), mode)
	if out, err := exec.Command("go", "build", "-o", bin, "flavors/code/"+mode).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", mode, err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("%s stderr:\n%s", mode, stderr.String())
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSuffix(s, "\n"), "listening on ")
		if !ok {
			t.Fatalf("%s printed %q", mode, s)
		}
		return addr
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not announce itself", mode)
	}
	return ""
}
