package sock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

func TestListenReportsTheRealPort(t *testing.T) {
	fd, hostport, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	if !strings.HasPrefix(hostport, "127.0.0.1:") || strings.HasSuffix(hostport, ":0") {
		t.Fatalf("Listen reported %q; want 127.0.0.1 and the port the kernel chose", hostport)
	}
	c, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := Accept(fd)
	if err != nil {
		t.Fatal(err)
	}
	Close(conn)
}

func TestSockaddr(t *testing.T) {
	for addr, want := range map[string]unix.Sockaddr{
		"127.0.0.1:7070":      &unix.SockaddrInet4{Port: 7070, Addr: [4]byte{127, 0, 0, 1}},
		":80":                 &unix.SockaddrInet4{Port: 80},
		"[::ffff:10.0.0.1]:0": &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 1}},
		"[::1]:65535":         &unix.SockaddrInet6{Port: 65535, Addr: [16]byte{15: 1}},
		"[2001:db8::7]:1":     &unix.SockaddrInet6{Port: 1, Addr: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 7}},
	} {
		got, err := sockaddr(addr)
		if err != nil {
			t.Errorf("sockaddr(%q): %v", addr, err)
			continue
		}
		if !sameSockaddr(got, want) {
			t.Errorf("sockaddr(%q) = %+v; want %+v", addr, got, want)
		}
	}
}

func sameSockaddr(a, b unix.Sockaddr) bool {
	switch a := a.(type) {
	case *unix.SockaddrInet4:
		b, ok := b.(*unix.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *unix.SockaddrInet6:
		b, ok := b.(*unix.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	}
	return false
}

func TestListenRejectsBadAddresses(t *testing.T) {
	for _, addr := range []string{
		"", "7070", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:http", "1.2.3.4.5:80", "[fe80::1%lo]:80",
	} {
		if fd, _, err := Listen(addr); err == nil {
			Close(fd)
			t.Errorf("Listen(%q) succeeded; want an error", addr)
		}
	}
}

// A failed Listen must give back the socket it opened.
func TestListenFailureLeaksNoDescriptor(t *testing.T) {
	fd, hostport, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	before := openDescriptors(t)
	if fd2, _, err := Listen(hostport); err == nil {
		Close(fd2)
		t.Fatalf("a second Listen on %s succeeded; want EADDRINUSE", hostport)
	} else if !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("second Listen: %v; want EADDRINUSE", err)
	}
	if after := openDescriptors(t); after != before {
		t.Fatalf("%d descriptors open before the failed Listen, %d after", before, after)
	}
}

func openDescriptors(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// socketPair returns two connected stream sockets: a stand-in for a TCP connection
// that needs no listener.
func socketPair(t *testing.T) (int, int) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

func TestReadReportsEndOfStream(t *testing.T) {
	a, b := socketPair(t)
	defer Close(a)
	Close(b)
	if n, err := Read(a, make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
	}
}

// A megabyte does not fit in a socket buffer: the writer must go on until the reader has
// taken everything, in order.
func TestWriteAllWritesEverything(t *testing.T) {
	a, b := socketPair(t)
	defer Close(b)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	written := make(chan error, 1)
	go func() {
		written <- WriteAll(a, want)
		Close(a)
	}()
	got, err := io.ReadAll(fdReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}
}

// Writing to a peer that is gone is an error, not a SIGPIPE that kills the test.
func TestWriteAllToAClosedPeerIsAnError(t *testing.T) {
	a, b := socketPair(t)
	defer Close(a)
	Close(b)
	if err := WriteAll(a, []byte("anyone?")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("WriteAll to a closed peer: %v; want EPIPE", err)
	}
}

type fdReader int

func (fd fdReader) Read(p []byte) (int, error) { return Read(int(fd), p) }

// ServeConn answers the frames before an oversized one, then closes the connection.
func TestServeConnClosesOnAnOversizedFrame(t *testing.T) {
	server, client := socketPair(t)
	defer Close(client)
	done := make(chan struct{})
	go func() {
		ServeConn(server, kv.NewStore())
		close(done)
	}()

	req := kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"})
	req = binary.BigEndian.AppendUint32(req, kv.MaxFrame+1)
	if err := WriteAll(client, req); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.ReadFrame(fdReader(client), nil); err != nil {
		t.Fatalf("no answer to the put before the oversized frame: %v", err)
	}
	if _, err := kv.ReadFrame(fdReader(client), nil); err != io.EOF {
		t.Fatalf("after an oversized frame: %v; want the connection closed (EOF)", err)
	}
	<-done
}
