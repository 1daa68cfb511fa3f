package kv

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// AddrFlag defines -addr on the default flag set; call it before flag.Parse.
func AddrFlag() *string {
	return flag.String("addr", "127.0.0.1:7070", "listen on `host:port` (port 0 picks a free port)")
}

// Announce tells whoever started the server that it accepts connections now,
// on this address. Tests and the site read this line to learn the port, so it
// is the only thing a server prints on standard output.
func Announce(hostport string) {
	fmt.Fprintf(os.Stdout, "listening on %s\n", hostport)
}

// ExitOnSignal makes SIGINT and SIGTERM end the process at once with status
// 0. A server blocked in accept or read has no other way out, and the store
// lives in memory only, so there is nothing to flush.
func ExitOnSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		os.Exit(0)
	}()
}
