package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"flavors/code/kv"
	"flavors/code/kv/conformance"
	"flavors/code/kv/kvpb"
)

// writer is one client of the kill test: it appends "1,", "2,", ... to its own key, one
// append at a time, and remembers what it knows about each.
type writer struct {
	key      string
	applied  []string // tokens known to be in the value, in order: answered, or seen there
	inFlight string   // sent, not answered: the crash may have kept it or not
	next     int
}

// check reads the writer's key and accepts exactly two values: everything known to be
// applied, or that and the write in flight, once. Anything else is a lost, repeated or
// reordered write.
func (w *writer) check(c *kv.Client) error {
	got, err := c.Get(w.key)
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	known := strings.Join(w.applied, "")
	switch {
	case got == known:
	case w.inFlight != "" && got == known+w.inFlight:
		w.applied = append(w.applied, w.inFlight)
	default:
		return fmt.Errorf("%s = %q; want %q, or that followed by %q", w.key, got, known, w.inFlight)
	}
	w.inFlight = ""
	return nil
}

// run appends until the connection breaks, and reports a wrong answer.
func (w *writer) run(c *kv.Client) error {
	for {
		w.next++
		w.inFlight = strconv.Itoa(w.next) + ","
		resp, err := c.Do(&kvpb.KeyValueMessage{Kind: kv.Append, Key: w.key, Value: w.inFlight})
		if err != nil {
			return nil // the server was killed
		}
		if resp.Status != kvpb.Status_Ok {
			return fmt.Errorf("%s: append answered %v", w.key, resp)
		}
		w.applied = append(w.applied, w.inFlight)
		w.inFlight = ""
	}
}

// killRounds starts bin with flags, lets writers append concurrently, kills the server with
// SIGKILL at a random moment, starts it again on the same data, and checks every writer's
// key, round after round.
func killRounds(t *testing.T, bin string, flags []string, rounds, writers int) error {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ws := make([]*writer, writers)
	for i := range ws {
		ws[i] = &writer{key: fmt.Sprintf("w%02d", i)}
	}
	defer func() {
		answered, sent := 0, 0
		for _, w := range ws {
			answered += len(w.applied)
			sent += w.next
		}
		t.Logf("%d appends sent, %d of them known to be applied", sent, answered)
	}()
	for round := range rounds {
		srv := conformance.Start(t, bin, flags...)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for _, w := range ws {
			c, err := kv.Dial(srv.Addr)
			if err != nil {
				return err
			}
			if err := w.check(c); err != nil {
				c.Close()
				return fmt.Errorf("round %d, after the restart: %w", round, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				errs <- w.run(c)
			}()
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		srv.Signal(syscall.SIGKILL)
		srv.Exited(t)
		wg.Wait()
		for range writers {
			if err := <-errs; err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
		}
	}
	return nil
}

// TestKillAtRandomMoments: 50 rounds of 16 concurrent writers and a SIGKILL at a random
// moment, with compactions along the way. No answered append may be lost or applied twice.
func TestKillAtRandomMoments(t *testing.T) {
	bin := conformance.Build(t, "durable")
	flags := []string{"-data", t.TempDir(), "-compact-at", "16384"}
	if err := killRounds(t, bin, flags, 50+1, 16); err != nil {
		t.Fatal(err)
	}
}

// TestKillCheckBites runs the same rounds against the event loop server of chapter 7,
// which keeps its data in memory only: the first restart must be caught.
func TestKillCheckBites(t *testing.T) {
	bin := conformance.Build(t, "epoll")
	if err := killRounds(t, bin, nil, 2, 4); err == nil {
		t.Fatal("the kill rounds did not notice a server that forgets everything")
	}
}

// TestGetsDoNotWaitForTheDisk gives the server a disk that takes an hour. A put on one
// connection is never answered, and neither is the get behind it; a get on another
// connection is answered at once, and does not see the put.
func TestGetsDoNotWaitForTheDisk(t *testing.T) {
	srv := conformance.StartMode(t, "durable", "-slow-disk", "1h")
	a, b := dial(t, srv.Addr), dial(t, srv.Addr)
	a.Send(&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"})
	a.Send(&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"})
	if _, err := b.Get("k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("get on another connection: %v; want an answer, not found", err)
	}
	if answered(a) {
		t.Fatal("the put was answered before it was on disk")
	}
}

// TestInlineBlocksEveryone is the same with the loop writing the log itself: the put's
// fdatasync holds the whole server, and the other connection's get is not answered.
func TestInlineBlocksEveryone(t *testing.T) {
	srv := conformance.StartMode(t, "durable", "-commit", "inline", "-slow-disk", "1h")
	a, b := dial(t, srv.Addr), dial(t, srv.Addr)
	a.Send(&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"})
	b.Send(&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"})
	if answered(b) {
		t.Fatal("a get was answered while the loop was in fdatasync")
	}
}

// client is a connection and the book's client on it; the test sets its deadlines.
type client struct {
	*kv.Client
	conn net.Conn
}

func dial(t *testing.T, addr string) client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(time.Minute)) // fails a hung test, proves nothing
	return client{kv.NewClient(conn), conn}
}

// answered waits a moment for an answer. It can miss an answer that comes late, but never
// see one that did not come: a loaded machine can hide a bug from it, never invent one.
func answered(c client) bool {
	c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Receive()
	return err == nil
}

// TestRefusesWhatIsNotItsData: -data pointing at a file, at a directory the server may
// not write, at another program's files, at a log damaged in the middle, or at the data
// of a server still running: exit status 1 and one line on standard error, nothing on
// standard output.
func TestRefusesWhatIsNotItsData(t *testing.T) {
	bin := conformance.Build(t, "durable")
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "users.db"), []byte("x"), 0o644)
	readOnly := t.TempDir()
	os.Chmod(readOnly, 0o555)
	busy := t.TempDir()
	conformance.Start(t, bin, "-data", busy)

	cases := []struct{ name, dir, want string }{
		{"a file", file, "not a directory"},
		{"another program's data", foreign, `not this server's data (found "users.db")`},
		{"an unwritable directory", readOnly, "permission denied"},
		{"a log damaged in the middle", damagedLog(t, bin), "corrupt: log.000001: record at byte"},
		{"a directory in use", busy, "in use by another process"},
	}
	for _, c := range cases {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", c.dir)
		if c.dir == readOnly {
			asNobody(t, cmd, bin, readOnly)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("%s: %v; want exit status 1", c.name, err)
		}
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if stdout.Len() > 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%s: stdout %q, stderr %q; want one line saying %q", c.name, stdout.String(), stderr.String(), c.want)
		}
	}
}

// damagedLog runs the server, puts ten keys, stops it, and flips a byte in the middle of
// its log.
func damagedLog(t *testing.T, bin string) string {
	dir := t.TempDir()
	srv := conformance.Start(t, bin, "-data", dir)
	c := dial(t, srv.Addr)
	for i := range 10 {
		if err := c.Put(fmt.Sprint("key", i), "value"); err != nil {
			t.Fatal(err)
		}
	}
	srv.Signal(syscall.SIGTERM)
	srv.Exited(t)
	path := filepath.Join(dir, "log.000001")
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log[len(log)/2] ^= 1
	os.WriteFile(path, log, 0o644)
	return dir
}

// asNobody runs cmd as an unprivileged user when the test runs as root, whom permissions
// do not stop; the program and the directory's parents must then be open to that user.
func asNobody(t *testing.T, cmd *exec.Cmd, paths ...string) {
	if os.Geteuid() != 0 {
		return
	}
	for _, p := range paths {
		for dir := filepath.Dir(p); dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
			os.Chmod(dir, 0o755)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// TestTemporaryDataIsRemoved: without -data the server keeps its data in a directory of
// its own making, and removes it when it is stopped.
func TestTemporaryDataIsRemoved(t *testing.T) {
	srv := conformance.StartMode(t, "durable")
	_, after, ok := strings.Cut(srv.Stderr(), "data in ")
	dir, _, _ := strings.Cut(after, ",")
	if _, err := os.Stat(filepath.Join(dir, "log.000001")); !ok || err != nil {
		t.Fatalf("no log in the directory the server named (%q): %v", dir, err)
	}
	srv.Signal(syscall.SIGTERM)
	if st := srv.Exited(t); st.ExitCode() != 0 {
		t.Fatalf("exit status %d on SIGTERM", st.ExitCode())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s still there after exit: %v", dir, err)
	}
}
