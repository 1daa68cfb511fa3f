package main

import (
	"bufio"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// TestOneClientHoldsEveryoneElse shows the price of one thread: while client A is
// connected, client B's request sits unanswered, and it is answered once A has gone.
func TestOneClientHoldsEveryoneElse(t *testing.T) {
	srv := startServer(t, "blocking")

	a, err := kv.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Put("turn", "A connected"); err != nil {
		t.Fatal(err)
	}
	// A has its answer, so the server has accepted A and now sleeps in read(2) on it.

	// The kernel completes B's handshake on its own and queues the connection in the
	// backlog, so dialling and writing succeed although nobody accepts B.
	b, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	get := kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "turn"})
	if _, err := b.Write(get); err != nil {
		t.Fatal(err)
	}

	// Everything A does from here happens after B's request was sent.
	if err := a.Put("turn", "A about to close"); err != nil {
		t.Fatal(err)
	}
	if arrived(t, b) {
		t.Fatal("B was answered while A was still connected")
	}
	a.Close()

	b.SetReadDeadline(time.Now().Add(10 * time.Second)) // fails a hung test, proves nothing
	body, err := kv.ReadFrame(bufio.NewReader(b), nil)
	if err != nil {
		t.Fatalf("B got no answer after A closed: %v", err)
	}
	var resp kvpb.KeyValueMessage
	if err := kvpb.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	// B asked before A's last put, yet sees its value: B was served after A.
	if resp.GetValue() != "A about to close" {
		t.Fatalf("B read %q; want the value A put after B had asked", resp.GetValue())
	}
}

// arrived reports whether any byte is waiting on c, without waiting for one: recv(2)
// with MSG_PEEK leaves the bytes where they are, MSG_DONTWAIT turns "nothing yet" into EAGAIN.
func arrived(t *testing.T, c net.Conn) bool {
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var recvErr error
	err = raw.Read(func(fd uintptr) bool {
		n, _, recvErr = unix.Recvfrom(int(fd), make([]byte, 1), unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return true // never wait: the answer "nothing yet" is what we want to know
	})
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(recvErr, unix.EAGAIN) {
		return false
	}
	if recvErr != nil {
		t.Fatalf("peeking at B: %v", recvErr)
	}
	return n > 0
}
