// Command gonet is the key-value server written the way Go programs are: net.Listen and a
// goroutine per net.Conn. It is the baseline the other servers are measured against.
package main

import (
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"time"

	"flavors/code/kv"
)

const acceptRetryDelay = 100 * time.Millisecond

func main() {
	addr := kv.AddrFlag()
	flag.Parse()
	kv.ExitOnSignal()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	kv.Announce(ln.Addr().String())

	store := kv.NewStore()
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(acceptRetryDelay)
			continue
		}
		go serve(conn, store)
	}
}

// serve is sock.ServeConn with net.Conn in place of the descriptor: the same loop, but a
// Read that finds nothing parks the goroutine instead of its thread.
func serve(conn net.Conn, store *kv.Store) {
	defer conn.Close()
	session := kv.NewSession(store)
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			logEnd(conn, err)
			return
		}
		feedErr := session.Feed(buf[:n])
		if out := session.Output(); len(out) > 0 {
			// A zero-length Write would still cost a system call.
			if _, err := conn.Write(out); err != nil {
				logEnd(conn, err)
				return
			}
			session.Written(len(out))
		}
		if feedErr != nil {
			logEnd(conn, feedErr)
			return
		}
	}
}

func logEnd(conn net.Conn, err error) {
	if !errors.Is(err, io.EOF) {
		log.Printf("connection %v: %v", conn.RemoteAddr(), err)
	}
}
