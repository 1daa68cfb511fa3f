package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type server struct {
	Addr string
	Pid  int
}

func startServer(t *testing.T, mode string) server {
	t.Helper()
	bin := filepath.Join(t.TempDir(), mode)
	build := exec.Command("go", "build", "-o", bin, "flavors/code/"+mode)
	if out, err := build.CombinedOutput(); err != nil {
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
		if t.Failed() {
			t.Logf("%s stderr:\n%s", mode, stderr.String())
		}
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
		return server{Addr: addr, Pid: cmd.Process.Pid}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not announce itself", mode)
	}
	return server{}
}
