// Command crasher is a test's server that dies the way threaded does at 10,000 connections,
// only sooner: it announces itself like a server of the book, then parks goroutines in
// blocking reads (each holds an OS thread) past a limit of 20 threads, and the Go runtime
// ends it with "fatal error: thread exhaustion" and a stack dump.
package main

import (
	"fmt"
	"net"
	"runtime/debug"
	"syscall"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	fmt.Println("listening on", ln.Addr())
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil { // blocking: a read holds its thread
		panic(err)
	}
	debug.SetMaxThreads(20)
	for range 100 {
		go func() {
			var b [1]byte
			_, _ = syscall.Read(p[0], b[:])
		}()
	}
	select {}
}
