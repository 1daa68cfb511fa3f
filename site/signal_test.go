package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"flavors/site/run"
)

// The site itself, as make run starts it: SIGTERM (or SIGINT) while a server runs ends the
// site cleanly, and the server goes with it (killed and reaped, not orphaned to init).
func TestSiteExitOnSignal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "site")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) { siteExitOn(ctx, t, bin, sig) })
	}
}

func siteExitOn(ctx context.Context, t *testing.T, bin string, sig syscall.Signal) {
	site := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-root", repoRoot(t), "-bin", testBin)
	stdout, err := site.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	site.Stderr = os.Stderr
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	defer site.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "serving the book at ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	url = strings.TrimSuffix(url, "/")
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", http.Header{"Origin": {url}})
	if err != nil {
		t.Fatal(err)
	}
	s := &socket{t: t, conn: conn, events: make(chan run.Event, 1000), closed: make(chan error, 1)}
	go s.read()
	pid := s.startConsoleRun("02-single-threaded-blocking", "blocking")

	if err := site.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	killed := s.until(20*time.Second, "killed", isStatus("killed"))
	if killed.Text != run.ErrShutdown.Error() {
		t.Errorf("killed because %q", killed.Text)
	}
	if err := site.Wait(); err != nil {
		t.Errorf("the site exited with %v, want status 0", err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server pid %d outlived the site", pid)
	}
}
