package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flavors/code/kv/kvtest"
)

// kvBin is the command under test, built once: the tests run the real
// binary, so exit statuses and output streams are what a shell sees.
var kvBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kv-cmd-test")
	if err != nil {
		panic(err)
	}
	kvBin = filepath.Join(dir, "kv")
	build := exec.Command("go", "build", "-o", kvBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building kv: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	status         int
}

func runKV(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kvBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running kv: %v", err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// oneLine is the contract's shape for an error message.
func oneLine(s string) bool {
	return strings.Count(s, "\n") == 1 && strings.HasSuffix(s, "\n")
}

func TestPutThenGet(t *testing.T) {
	addr := kvtest.Serve(t)
	if r := runKV(t, "", "-addr", addr, "put", "greeting", "hello world"); r.status != 0 || r.stdout != "" {
		t.Fatalf("put: %+v", r)
	}
	r := runKV(t, "", "-addr", addr, "get", "greeting")
	if r.status != 0 || r.stdout != "hello world\n" {
		t.Fatalf("get: %+v", r)
	}
}

func TestGetMissingIsNotOk(t *testing.T) {
	r := runKV(t, "", "-addr", kvtest.Serve(t), "get", "nothing")
	if r.status != 1 || r.stdout != "" || !oneLine(r.stderr) {
		t.Fatalf("get of a missing key: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	addr := kvtest.Serve(t)
	for _, args := range [][]string{
		{"-addr", addr, "get"},
		{"-addr", addr, "get", "a", "b"},
		{"-addr", addr, "put", "a"},
		{"-addr", addr, "delete", "a"},
		{"-nosuchflag"},
	} {
		if r := runKV(t, "", args...); r.status != 2 || r.stdout != "" || !oneLine(r.stderr) {
			t.Errorf("kv %q: %+v; want status 2 and one line on stderr", args, r)
		}
	}
}

func TestConnectionError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens here now
	for _, args := range [][]string{{"get", "k"}, {}} {
		r := runKV(t, "get k\n", append([]string{"-addr", addr}, args...)...)
		if r.status != 2 || !oneLine(r.stderr) {
			t.Errorf("kv %q against a closed port: %+v", args, r)
		}
	}
}

func TestLinesFromStdin(t *testing.T) {
	in := "put a 1\nget a\nget b\n\nput c hello  world\nget c\nfrobnicate\nput \xff x\n"
	want := "OK\n1\n(not found)\nOK\nhello  world\n" +
		"bad line; want: put KEY VALUE | get KEY\nbad line: not UTF-8\n"
	r := runKV(t, in, "-addr", kvtest.Serve(t))
	if r.status != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("got %+v\nwant stdout %q", r, want)
	}
}
