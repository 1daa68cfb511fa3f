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

// rates formats the growth of each counter since last, and updates last.
func rates(counters []*Counter, last []uint64) string {
	var b strings.Builder
	var unit uint64
	for i, c := range counters {
		now := c.Load()
		delta := now - last[i]
		last[i] = now
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d/s", c.name, delta)
		if i == 0 {
			unit = delta
		} else if unit > 0 {
			fmt.Fprintf(&b, " (%.2f/%s)", float64(delta)/float64(unit), counters[0].name)
		}
	}
	return b.String()
}
