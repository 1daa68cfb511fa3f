package sock

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// connPair returns a Conn on one end of a connected pair of stream sockets, and the other
// end, in blocking mode, as the client.
func connPair(t *testing.T) (*Conn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return NewConn(fds[0], kv.NewStore()), fds[1]
}

func request(kind uint32, key, value string) []byte {
	return kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kind, Key: key, Value: value})
}

func TestAcceptReturnsAtOnceWhenNoneWaits(t *testing.T) {
	l, _, err := ListenNonblocking("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(l.FD)
	if fd, err := l.Accept(); fd != -1 || err != nil {
		t.Errorf("Accept with an empty queue: %d, %v; want -1, nil", fd, err)
	}
}

func TestReadWithNothingThereIsNotAnError(t *testing.T) {
	c, _ := connPair(t)
	n, err := c.Read(make([]byte, 64))
	if n != 0 || err != nil || !c.WantsRead() {
		t.Errorf("Read with nothing sent: %d, %v, WantsRead %v; want 0, nil, true", n, err, c.WantsRead())
	}
}

func TestARequestSplitAcrossReads(t *testing.T) {
	c, client := connPair(t)
	req := request(kv.PutOrUpdate, "k", "v")
	buf := make([]byte, 64)
	for _, piece := range [][]byte{req[:3], req[3:]} {
		unix.Write(client, piece)
		if n, err := c.Read(buf); n != len(piece) || err != nil {
			t.Fatalf("Read: %d, %v; want %d, nil", n, err, len(piece))
		}
	}
	if !c.WantsWrite() {
		t.Fatal("no response after a whole request")
	}
	if _, err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	want := kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k"})
	got := make([]byte, 64)
	n, _ := unix.Read(client, got)
	if !bytes.Equal(got[:n], want) || c.WantsWrite() {
		t.Errorf("client read %x, WantsWrite %v; want %x, false", got[:n], c.WantsWrite(), want)
	}
}

// TestShortWrites makes the responses far bigger than the socket's send buffer. Flush must
// take what fits, keep the rest, say when nothing fits, and finish once the client reads.
func TestShortWrites(t *testing.T) {
	c, client := connPair(t)
	stream := request(kv.PutOrUpdate, "big", strings.Repeat("x", 256<<10))
	for range 8 {
		stream = append(stream, request(kv.Get, "big", "")...)
	}
	if err := c.session.Feed(stream); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(c.session.Output()) // 2 MiB of responses

	n, err := c.Flush()
	if err != nil || n <= 0 || n >= len(want) || !c.WantsWrite() {
		t.Fatalf("first Flush: %d, %v, WantsWrite %v; want a short write of 0 < n < %d", n, err, c.WantsWrite(), len(want))
	}
	if n, err := c.Flush(); n != 0 || err != nil {
		t.Fatalf("Flush with the send buffer full: %d, %v; want 0, nil", n, err)
	}

	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(want))
		k, _ := io.ReadFull(blockingReader(client), b)
		got <- b[:k]
	}()
	for c.WantsWrite() {
		if n, err := c.Flush(); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			waitWritable(t, c.FD)
		}
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("the client read %d bytes, not the %d the session produced, in order", len(b), len(want))
	}
}

func TestHalfCloseGetsItsAnswerThenEnds(t *testing.T) {
	c, client := connPair(t)
	unix.Write(client, request(kv.Get, "k", ""))
	unix.Shutdown(client, unix.SHUT_WR)
	buf := make([]byte, 64)
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); n != 0 || err != nil || c.WantsRead() {
		t.Fatalf("Read after FIN: %d, %v, WantsRead %v; want 0, nil, false", n, err, c.WantsRead())
	}
	if c.Done() {
		t.Fatal("Done before the answer went out")
	}
	c.Flush()
	if !c.Done() {
		t.Error("not Done with input ended and the answer written")
	}
}

func TestOversizedFrameEndsInputButNotOwedAnswers(t *testing.T) {
	c, client := connPair(t)
	stream := request(kv.Get, "k", "")
	stream = append(stream, 0x00, 0x10, 0x00, 0x01) // a length of 1 MiB + 1
	unix.Write(client, stream)
	if _, err := c.Read(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	if c.WantsRead() || !c.WantsWrite() {
		t.Fatalf("WantsRead %v, WantsWrite %v; want false, true: stop reading, answer the get", c.WantsRead(), c.WantsWrite())
	}
	c.Flush()
	if !c.Done() {
		t.Error("not Done once the owed answer is out")
	}
}

func TestWriteToAPeerThatLeftIsAnError(t *testing.T) {
	c, client := connPair(t)
	unix.Write(client, request(kv.Get, "k", ""))
	c.Read(make([]byte, 64))
	unix.Close(client)
	if _, err := c.Flush(); err != unix.EPIPE && err != unix.ECONNRESET {
		t.Errorf("Flush to a closed peer: %v; want EPIPE or ECONNRESET", err)
	}
}

// waitWritable sleeps in poll(2) until fd can take more, and fails the test after ten seconds.
func waitWritable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(fds, 10_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("the socket did not turn writable: %v", err)
		}
		return
	}
}

// blockingReader reads a blocking descriptor as an io.Reader.
type blockingReader int

func (fd blockingReader) Read(p []byte) (int, error) {
	n, err := unix.Read(int(fd), p)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return max(n, 0), err
}
