package run

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// What Go prints when a program passes its thread limit, as threaded does at 10,000
// connections: the status shows the cause, not the stack dump after it.
func TestCrashReport(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"runtime: program exceeds 10000-thread limit", "fatal error: thread exhaustion", "",
			"runtime stack:", "runtime.throw({0x5b2f1a?, 0x0?})", "goroutine 1 [IO wait]:"},
			"runtime: program exceeds 10000-thread limit (fatal error: thread exhaustion)"},
		{[]string{"2024/01/01 connection fd 7: EOF", "panic: runtime error: index out of range [3] with length 3", "",
			"goroutine 9 [running]:", "panic: a second panic while printing"},
			"panic: runtime error: index out of range [3] with length 3"},
		{[]string{"runtime: a note the runtime printed long before", "accept: too many open files", "fatal error: out of memory"},
			"fatal error: out of memory"},
		{[]string{"accept: too many open files", "runtime: not followed by a crash"}, ""},
	} {
		var r crashReport
		for _, l := range c.lines {
			r.add(l)
		}
		if got := r.String(); got != c.want {
			t.Errorf("%q\nreported %q\n    want %q", c.lines, got, c.want)
		}
	}
}

// A server that dies of a Go fatal error fails its run with that error's first line as the
// reason: the "failed" status and the end event say it. The server is a small program of
// this test's own (testdata/crasher), which meets its thread limit within milliseconds,
// where threaded needs 10,000 connections.
func TestCrashIsTheRunsEnd(t *testing.T) {
	root, bin := t.TempDir(), t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "crasher"), "./testdata/crasher")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	r := NewRunner(root, bin)
	scen := &Scenario{Name: "crash", Lanes: func(Options) []string { return nil },
		Play: func(ctx context.Context, rn *Run, _ Options) error {
			if _, err := rn.Serve(); err != nil {
				return err
			}
			<-ctx.Done()
			return nil
		}}
	events := collect(t, r, Spec{Mode: "crasher", Scenario: scen})
	end := events[len(events)-1]
	const want = "the server crashed: runtime: program exceeds 20-thread limit (fatal error: thread exhaustion)"
	if end.Type != "end" || end.Status != EndFailed || end.Text != want {
		t.Errorf("the run ended %s %q, want failed %q", end.Status, end.Text, want)
	}
	failed := false
	for _, e := range events {
		failed = failed || e.Type == "status" && e.Status == "failed" && e.Text == want
	}
	if !failed {
		t.Errorf("no failed status saying %q", want)
	}
}

// collect runs spec to its end and returns its events.
func collect(t *testing.T, r *Runner, spec Spec) []Event {
	t.Helper()
	var mu sync.Mutex
	var events []Event
	rn, err := r.Start(context.Background(), spec, func(e Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-rn.Done():
	case <-time.After(time.Minute):
		rn.Stop(errors.New("the test gave up"))
		t.Fatal("the run did not end within a minute")
	}
	mu.Lock()
	defer mu.Unlock()
	return events
}

// Two runs of 10,000 connections would not fit in the site's 20,000 descriptors: the second
// is refused before it starts, saying why, and once the first is over it may run.
func TestDescriptorsReserved(t *testing.T) {
	root, bin := t.TempDir(), t.TempDir()
	// No server: the scenario only holds its place until it is stopped. (A file stands in
	// for the binary, so that there is nothing to build.)
	if err := os.WriteFile(filepath.Join(bin, "none"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	r := NewRunner(root, bin)
	r.fds.limit = 20000 // this machine's, as the issue found it; the test's own may differ
	scen := &Scenario{Name: "hold", Conns: OptionRange{Default: 2000, Min: 100, Max: 10000},
		Lanes: func(Options) []string { return []string{"A", "B", "C"} },
		Play: func(ctx context.Context, _ *Run, _ Options) error {
			<-ctx.Done()
			return nil
		}}
	spec := Spec{Mode: "none", Scenario: scen, Options: scen.Options(Options{Conns: 10000})}
	start := func() (*Run, error) { return r.Start(context.Background(), spec, func(Event) {}) }
	first, err := start()
	if err != nil {
		t.Fatalf("the first run at 10,000 connections: %v", err)
	}
	second, err := start()
	if err == nil {
		second.Stop(ErrStopped)
		t.Fatal("a second run at 10,000 connections was started")
	}
	for _, word := range []string{"10163 file descriptors", "hold 10163 of its limit of 20000", "fewer connections"} {
		if !strings.Contains(err.Error(), word) {
			t.Errorf("the refusal %q does not say %q", err, word)
		}
	}
	first.Stop(ErrStopped)
	third, err := start()
	if err != nil {
		t.Fatalf("once the first run is over: %v", err)
	}
	third.Stop(ErrStopped)
	r.fds.mu.Lock()
	defer r.fds.mu.Unlock()
	if r.fds.held != 0 {
		t.Errorf("%d descriptors still reserved after every run ended", r.fds.held)
	}
}
