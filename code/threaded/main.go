// Command threaded is the blocking server with one goroutine per connection. Each goroutine
// sleeps in a blocking read(2), and a goroutine inside a system call holds an OS thread, so
// this is the classic thread-per-connection server.
package main

import (
	"flag"
	"log"
	"runtime/debug"
	"time"

	"flavors/code/kv"
	"flavors/code/sock"
)

const acceptRetryDelay = 100 * time.Millisecond

func main() {
	addr := kv.AddrFlag()
	maxThreads := flag.Int("max-threads", 10000,
		"most OS threads the program may use; past it, Go crashes the program")
	flag.Parse()
	kv.ExitOnSignal()
	debug.SetMaxThreads(*maxThreads)

	fd, hostport, err := sock.Listen(*addr)
	if err != nil {
		log.Fatal(err)
	}
	kv.Announce(hostport)

	store := kv.NewStore()
	for {
		conn, err := sock.Accept(fd)
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(acceptRetryDelay)
			continue
		}
		go sock.ServeConn(conn, store)
	}
}
