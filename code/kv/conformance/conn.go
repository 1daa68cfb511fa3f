package conformance

import (
	"bufio"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// connect opens a connection with a deadline on everything done with it,
// without failing the test, for use from goroutines.
func connect(s *Server) (*net.TCPConn, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(ioTimeout))
	return conn.(*net.TCPConn), nil
}

// dial is connect for the test's own goroutine; the connection is closed
// when the test ends.
func dial(t *testing.T, s *Server) *net.TCPConn {
	t.Helper()
	conn, err := connect(s)
	if err != nil {
		t.Fatalf("connecting to the server: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func client(t *testing.T, s *Server) *kv.Client {
	t.Helper()
	return kv.NewClient(dial(t, s))
}

// frames encodes requests back to back.
func frames(msgs ...*kvpb.KeyValueMessage) []byte {
	var b []byte
	for _, m := range msgs {
		b = kv.AppendFrame(b, m)
	}
	return b
}

// rawFrame frames a body that need not be a valid message.
func rawFrame(body []byte) []byte {
	return append(header(uint32(len(body))), body...)
}

func header(n uint32) []byte {
	return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func put(key, value string) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: key, Value: value}
}

func get(key string) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kv.Get, Key: key}
}

// Answers the contract prescribes.
func putOk(key string) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: key}
}

func found(key, value string) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: key, Value: value}
}

func notFound(key string) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: key, Status: kvpb.Status_NotOk}
}

func notOk(kind uint32) *kvpb.KeyValueMessage {
	return &kvpb.KeyValueMessage{Kind: kind, Status: kvpb.Status_NotOk}
}

// exchange makes each of writes a Write call of its own while another
// goroutine reads n answers. Reading while writing matters: a server that
// blocks writing answers nobody reads stops reading requests, and a client
// that only reads after its last write would wait forever.
func exchange(t *testing.T, conn net.Conn, writes [][]byte, n int) []*kvpb.KeyValueMessage {
	t.Helper()
	type result struct {
		answers []*kvpb.KeyValueMessage
		err     error
	}
	done := make(chan result, 1)
	go func() {
		answers, err := readAnswers(conn, n)
		done <- result{answers, err}
	}()
	for _, w := range writes {
		if _, err := conn.Write(w); err != nil {
			t.Fatalf("writing requests: %v", err)
		}
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("reading answer %d of %d: %v", len(r.answers)+1, n, r.err)
	}
	return r.answers
}

func readAnswers(conn net.Conn, n int) ([]*kvpb.KeyValueMessage, error) {
	r := bufio.NewReader(conn)
	var answers []*kvpb.KeyValueMessage
	for len(answers) < n {
		body, err := kv.ReadFrame(r, nil)
		if err != nil {
			return answers, err
		}
		m := new(kvpb.KeyValueMessage)
		if err := proto.Unmarshal(body, m); err != nil {
			return answers, err
		}
		answers = append(answers, m)
	}
	return answers, nil
}

// expectAnswers compares answers with the contract's, in order.
func expectAnswers(t *testing.T, got, want []*kvpb.KeyValueMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d answers, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("answer %d is {%v}, want {%v}", i, got[i], want[i])
		}
	}
}

// ask sends one request on c and compares the answer with want.
func ask(t *testing.T, c *kv.Client, req, want *kvpb.KeyValueMessage) {
	t.Helper()
	got, err := c.Do(req)
	if err != nil {
		t.Fatalf("request {%v}: %v", req, err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("request {%v}: answer {%v}, want {%v}", req, got, want)
	}
}

// askOnce asks on a connection of its own and closes it at once: a
// single-threaded blocking server serves nobody else while it is open.
func askOnce(t *testing.T, s *Server, req, want *kvpb.KeyValueMessage) {
	t.Helper()
	c := client(t, s)
	ask(t, c, req, want)
	c.Close()
}

// expectClosed waits for the server to close conn, discarding anything it
// sends first. A reset counts as closed: a server that closes a socket with
// unread bytes in it makes the kernel send one.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	_, err := io.Copy(io.Discard, conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("waiting for the server to close the connection: %v", err)
	}
}

// reset closes conn with a TCP reset instead of a goodbye: with a linger
// time of zero, close(2) discards unsent data and sends RST.
func reset(conn *net.TCPConn) {
	conn.SetLinger(0)
	conn.Close()
}
