// Package loopstats counts what a server's loop does — system calls, descriptors passed,
// events returned — and prints the rates once a second, so a reader can watch an I/O model
// work (or waste its time) while clients come and go.
package loopstats

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Flag defines -stats on the default flag set; call it before flag.Parse.
func Flag() *bool {
	return flag.Bool("stats", false, "print the loop's counters on standard error every second")
}

// Counter counts one thing a loop does. The loop adds; the printer, on another goroutine,
// reads. Atomic adds cost the loop a few nanoseconds, nothing next to a system call.
type Counter struct {
	name string
	n    atomic.Uint64
}

func NewCounter(name string) *Counter { return &Counter{name: name} }

func (c *Counter) Add(n int) { c.n.Add(uint64(n)) }

// Load returns the count so far.
func (c *Counter) Load() uint64 { return c.n.Load() }

// PrintEverySecond starts printing, every second on standard error, how much each counter
// grew during that second. Every counter after the first is also given per unit of the
// first, which is what the eye wants:
//
//	poll=1012/s passed=1014024/s (1002.00/poll) ready=1012/s (1.00/poll)
func PrintEverySecond(counters ...*Counter) {
	go func() {
		last := make([]uint64, len(counters))
		for range time.Tick(time.Second) {
			fmt.Fprintln(os.Stderr, rates(counters, last))
		}
	}()
}

// rates formats the growth of each counter since last, and updates last. It loads the
// counters last to first: a loop adds to them first to last (a call, then what it found), so
// no counter is read ahead of the one it is a part of.
func rates(counters []*Counter, last []uint64) string {
	delta := make([]uint64, len(counters))
	for i := len(counters) - 1; i >= 0; i-- {
		now := counters[i].Load()
		delta[i], last[i] = now-last[i], now
	}
	var b strings.Builder
	for i, c := range counters {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d/s", c.name, delta[i])
		if i > 0 && delta[0] > 0 {
			fmt.Fprintf(&b, " (%.2f/%s)", float64(delta[i])/float64(delta[0]), counters[0].name)
		}
	}
	return b.String()
}
