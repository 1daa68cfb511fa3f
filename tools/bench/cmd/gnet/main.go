// Command gnet is the benchmark's outside peer for the book's event loop: the same key-value
// protocol served by github.com/panjf2000/gnet/v2: event loops on locked OS threads, one by
// default; with -loops N, gnet's default for many loops, one acceptor (its "main reactor")
// handing connections round robin to N loops.
// The protocol side is the book's own kv.Session, so gnet and the book's servers differ only
// in how bytes get in and out.
package main

import (
	"flag"
	"fmt"
	"os"

	"flavors/code/kv"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

type server struct {
	gnet.BuiltinEventEngine
	store *kv.Store
}

// OnBoot announces the real address: with port 0 only the kernel knows it, so it is read back
// from a duplicate of the listening descriptor.
func (s *server) OnBoot(eng gnet.Engine) gnet.Action {
	fd, err := eng.Dup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnet:", err)
		return gnet.Shutdown
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnet:", err)
		return gnet.Shutdown
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		fmt.Fprintln(os.Stderr, "gnet: not an IPv4 listener")
		return gnet.Shutdown
	}
	kv.Announce(fmt.Sprintf("%d.%d.%d.%d:%d", in4.Addr[0], in4.Addr[1], in4.Addr[2], in4.Addr[3], in4.Port))
	return gnet.None
}

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(kv.NewSession(s.store))
	return nil, gnet.None
}

// OnTraffic hands everything gnet read to the session and writes what it answered. gnet's
// Write sends at once and keeps whatever the socket would not take, so the session can
// consider all of it written.
func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	session := c.Context().(*kv.Session)
	in, _ := c.Next(-1)
	if err := session.Feed(in); err != nil {
		return gnet.Close
	}
	// Written may answer requests the session held back, so write until nothing is
	// owed: gnet's outbound buffer takes it all (it cannot push back on the client).
	for out := session.Output(); len(out) > 0; out = session.Output() {
		if _, err := c.Write(out); err != nil {
			return gnet.Close
		}
		session.Written(len(out))
	}
	return gnet.None
}

// stderrLogger keeps gnet's log off standard output, which carries only the contract's
// "listening on" line, and drops its chatter below warnings.
type stderrLogger struct{}

func (stderrLogger) Debugf(string, ...any)     {}
func (stderrLogger) Infof(string, ...any)      {}
func (stderrLogger) Warnf(f string, a ...any)  { fmt.Fprintf(os.Stderr, "gnet: "+f+"\n", a...) }
func (stderrLogger) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "gnet: "+f+"\n", a...) }
func (stderrLogger) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: "+f+"\n", a...)
	os.Exit(1)
}

func main() {
	addr := kv.AddrFlag()
	loops := flag.Int("loops", 1, "event loops, each on a locked OS thread")
	flag.Parse()
	kv.ExitOnSignal()
	err := gnet.Run(&server{store: kv.NewStore()}, "tcp://"+*addr,
		gnet.WithMulticore(false),
		gnet.WithNumEventLoop(*loops),
		gnet.WithLockOSThread(true),
		gnet.WithReuseAddr(true),
		gnet.WithLogger(stderrLogger{}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnet:", err)
		os.Exit(1)
	}
}
