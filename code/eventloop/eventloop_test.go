package eventloop

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketPair returns two connected stream sockets, closed when the test ends.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

func newLoop(t *testing.T) *Loop {
	t.Helper()
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// run runs the loop until a handler stops it, and fails the test if that takes more than
// ten seconds: a handler that is never called must not hang the test.
func run(t *testing.T, l *Loop) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not stop: a handler was not called")
	}
}

func write(t *testing.T, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestReadableCallsTheReadHandler(t *testing.T) {
	a, b := socketPair(t)
	l := newLoop(t)
	var got string
	var gotReady Mask
	onReadable := func(fd int, ready Mask) {
		buf := make([]byte, 16)
		n, _ := unix.Read(fd, buf)
		got, gotReady = string(buf[:n]), ready
		l.Stop()
	}
	onWritable := func(int, Mask) { t.Error("write handler called without write interest") }
	if err := l.Add(a, Readable, onReadable, onWritable); err != nil {
		t.Fatal(err)
	}
	write(t, b, "ping")
	run(t, l)
	if got != "ping" || gotReady&Readable == 0 {
		t.Errorf("read handler got %q, ready %b; want ping, Readable", got, gotReady)
	}
}

func TestWriteInterestComesAndGoes(t *testing.T) {
	a, b := socketPair(t)
	l := newLoop(t)
	var calls []string
	onReadable := func(fd int, _ Mask) {
		calls = append(calls, "read")
		unix.Read(fd, make([]byte, 16))
		if len(calls) > 1 {
			l.Stop()
			return
		}
		if err := l.SetInterest(fd, Readable|Writable); err != nil {
			t.Error(err)
		}
	}
	onWritable := func(fd int, _ Mask) {
		calls = append(calls, "write")
		if err := l.SetInterest(fd, Readable); err != nil {
			t.Error(err)
		}
		write(t, b, "again")
	}
	if err := l.Add(a, Readable, onReadable, onWritable); err != nil {
		t.Fatal(err)
	}
	write(t, b, "ping")
	// The socket stays writable throughout: a write interest left on would call
	// the write handler again, after the second read.
	run(t, l)
	if len(calls) != 3 || calls[0] != "read" || calls[1] != "write" || calls[2] != "read" {
		t.Errorf("handlers ran %v; want [read write read]", calls)
	}
}

func TestNoInterestNoReport(t *testing.T) {
	a, b := socketPair(t)
	c, d := socketPair(t)
	l := newLoop(t)
	muted := func(int, Mask) { t.Error("handler of a descriptor with no interest called") }
	if err := l.Add(a, Readable, muted, muted); err != nil {
		t.Fatal(err)
	}
	if err := l.SetInterest(a, 0); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(c, Readable, func(int, Mask) { l.Stop() }, nil); err != nil {
		t.Fatal(err)
	}
	write(t, b, "ignored") // a is readable, but nobody asked
	write(t, d, "stop")
	run(t, l)
}

func TestRemovedInTheSameBatchIsNotCalled(t *testing.T) {
	a, b := socketPair(t)
	c, d := socketPair(t)
	l := newLoop(t)
	calls := 0
	removeOther := func(fd int, _ Mask) {
		calls++
		other := a
		if fd == a {
			other = c
		}
		if err := l.Remove(other); err != nil {
			t.Error(err)
		}
		l.Stop()
	}
	l.Add(a, Readable, removeOther, nil)
	l.Add(c, Readable, removeOther, nil)
	write(t, b, "x")
	write(t, d, "x")
	// Both are ready before the wait, so one wait returns both. Whichever runs first
	// removes the other, whose event is then stale and must be dropped.
	run(t, l)
	if calls != 1 {
		t.Errorf("%d handlers ran; want 1", calls)
	}
}

func TestPeerClosedComesWithReadable(t *testing.T) {
	a, b := socketPair(t)
	l := newLoop(t)
	var ready Mask
	l.Add(a, Readable, func(_ int, r Mask) { ready = r; l.Stop() }, nil)
	write(t, b, "last words")
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	run(t, l)
	if ready&(Readable|PeerClosed) != Readable|PeerClosed {
		t.Errorf("ready %b; want Readable|PeerClosed", ready)
	}
}

func TestAfterWaitCountsEvents(t *testing.T) {
	a, b := socketPair(t)
	c, d := socketPair(t)
	l := newLoop(t)
	waits, events := 0, 0
	l.AfterWait = func(n int) { waits++; events += n }
	stopAfterTwo := func(fd int, _ Mask) {
		unix.Read(fd, make([]byte, 16))
		if events == 2 {
			l.Stop()
		}
	}
	l.Add(a, Readable, stopAfterTwo, nil)
	l.Add(c, Readable, stopAfterTwo, nil)
	write(t, b, "x")
	write(t, d, "x")
	run(t, l)
	if waits != 1 || events != 2 {
		t.Errorf("%d waits returned %d events; want 1 wait with 2", waits, events)
	}
}

func TestMisuseIsAnError(t *testing.T) {
	a, _ := socketPair(t)
	l := newLoop(t)
	if err := l.SetInterest(a, Readable); err != ErrNotAdded {
		t.Errorf("SetInterest before Add: %v; want ErrNotAdded", err)
	}
	if err := l.Remove(a); err != ErrNotAdded {
		t.Errorf("Remove before Add: %v; want ErrNotAdded", err)
	}
	if err := l.Add(a, Readable, func(int, Mask) {}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(a, Readable, func(int, Mask) {}, nil); err != ErrAdded {
		t.Errorf("second Add: %v; want ErrAdded", err)
	}
	if err := l.Add(-1, Readable, func(int, Mask) {}, nil); err == nil {
		t.Error("Add(-1) succeeded")
	}
}

func TestRemovedByItsReadHandlerIsNotWritten(t *testing.T) {
	a, b := socketPair(t)
	l := newLoop(t)
	onReadable := func(fd int, _ Mask) {
		if err := l.Remove(fd); err != nil {
			t.Error(err)
		}
		l.Stop()
	}
	onWritable := func(int, Mask) { t.Error("write handler called after Remove") }
	if err := l.Add(a, Readable|Writable, onReadable, onWritable); err != nil {
		t.Fatal(err)
	}
	write(t, b, "x") // now a is readable and writable, reported in one event
	run(t, l)
}
