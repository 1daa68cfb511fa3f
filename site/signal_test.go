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
	"golang.org/x/sys/unix"

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
	pid := s.startQuietRun()

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

// make run, in a terminal, as a reader types it: it says what it builds before the long
// silence of a cold build, serves, and on Ctrl-C (the terminal's ^C, not a signal the test
// aims) stops quietly: exit status 0 and no "make: ***" line.
func TestMakeRunCtrlC(t *testing.T) {
	ptm, pts := openPTY(t)
	cmd := exec.Command("make", "--no-print-directory", "run", "ADDR=127.0.0.1:0")
	cmd.Dir = repoRoot(t)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()

	lines := make(chan string, 100)
	var screen strings.Builder
	go func() {
		r := bufio.NewReader(ptm)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				lines <- line
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	deadline := time.After(buildTimeout)
	serving := false
	for !serving {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("make run ended before serving:\n%s", screen.String())
			}
			screen.WriteString(line)
			serving = strings.HasPrefix(line, "serving the book at ")
		case <-deadline:
			t.Fatalf("make run did not serve:\n%s", screen.String())
		}
	}
	if !strings.Contains(screen.String(), "building the site") {
		t.Errorf("make run did not say it was building the site:\n%s", screen.String())
	}
	if _, err := ptm.Write([]byte{3}); err != nil { // ^C
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		ended = true
		for line := range lines {
			screen.WriteString(line)
		}
		if err != nil {
			t.Errorf("after Ctrl-C make run ended with %v, want status 0:\n%s", err, screen.String())
		}
		if strings.Contains(screen.String(), "make: ***") {
			t.Errorf("make complained after Ctrl-C:\n%s", screen.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("make run still running 30 s after Ctrl-C:\n%s", screen.String())
	}
}

// openPTY opens a pseudo-terminal: the controlling side (ptm) and the terminal (pts).
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close() })
	fd := int(ptm.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}
