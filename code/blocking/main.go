// Command blocking is the key-value server with one thread and blocking sockets: it serves
// one connection from its first byte to its last, and only then accepts the next.
package main

import (
	"flag"
	"log"
	"runtime"
	"time"

	"flavors/code/kv"
	"flavors/code/sock"
)

// acceptRetryDelay is how long to wait after accept(2) fails for want of a resource (out of
// descriptors, out of memory). Retrying at once would fail the same way and spin; the
// pending connections wait in the backlog meanwhile.
const acceptRetryDelay = 100 * time.Millisecond

func main() {
	addr := kv.AddrFlag()
	flag.Parse()
	kv.ExitOnSignal()

	// Go moves goroutines between threads as it likes. Locking this one to its thread makes
	// the program what the chapter says it is: a single thread that does all the serving,
	// which strace shows asleep in accept(2) or read(2).
	runtime.LockOSThread()

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
		sock.ServeConn(conn, store)
	}
}
