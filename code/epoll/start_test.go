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

type process struct {
	addr string
	pid  int
}

// startServer builds and starts a server, and returns the address it announced and its pid.
func startServer(t *testing.T, mode string) process {
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
		return process{addr: addr, pid: cmd.Process.Pid}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not announce itself", mode)
	}
	return process{}
}
