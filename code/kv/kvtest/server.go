// Package kvtest runs a key-value server inside a test process, for tests
// that need a peer but are not about an I/O model: the client's and the kv
// command's. It is the plainest server possible: a goroutine per connection
// around a kv.Session.
package kvtest

import (
	"net"
	"testing"

	"flavors/code/kv"
)

// Serve starts a server on a free loopback port and returns its address. It
// stops accepting when the test ends.
func Serve(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	store := kv.NewStore()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveConn(conn, store)
		}
	}()
	return ln.Addr().String()
}

// serveConn answers until the peer closes or breaks the protocol. Responses
// are written before a read error is acted on, so a peer that half-closes
// still gets its answers.
func serveConn(conn net.Conn, store *kv.Store) {
	defer conn.Close()
	s := kv.NewSession(store)
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		if s.Feed(buf[:n]) != nil {
			return
		}
		if _, werr := conn.Write(s.Output()); werr != nil {
			return
		}
		s.Written(len(s.Output()))
		if err != nil {
			return
		}
	}
}
