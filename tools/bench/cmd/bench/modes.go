package main

import (
	"fmt"
	"path/filepath"
	"slices"
)

// A mode is one row of the benchmark: a program and the arguments that make it that row.
type mode struct {
	name    string   // the row's name in every table and plot
	program string   // a server of the book (code/PROGRAM), or "gnet" (this module's peer)
	args    []string // beyond -addr
	buffers string   // its read buffers, stated beside what a connection costs
	// Where the row appears: the throughput table, the c10k ramp (and its churn), and which
	// of them a quick run keeps.
	throughput, ramp, quick bool
}

// modes lists every row, in the order the tables show them. A chapter that adds a server
// adds a line here.
var modes = []mode{
	{name: "threaded", program: "threaded", buffers: perConnBuffer, throughput: true, ramp: true, quick: true},
	// threaded with Go's thread limit raised, to see what the 10,000-thread crash protects.
	{name: "threaded-20k", program: "threaded", buffers: perConnBuffer, args: []string{"-max-threads", "20000"}, ramp: true},
	// pool-64 has a worker for each of the throughput table's 50 connections; pool keeps
	// every connection of the ramp in its queue, waiting for its 8 workers, and pool-refuse
	// closes those its 1,024-place queue cannot take.
	{name: "pool-64", program: "pool", buffers: perConnBuffer, args: []string{"-workers", "64"}, throughput: true},
	{name: "pool", program: "pool", buffers: perConnBuffer, args: []string{"-queue", "20000"}, ramp: true},
	{name: "pool-refuse", program: "pool", buffers: perConnBuffer, args: []string{"-when-full", "refuse"}, ramp: true},
	{name: "forked", program: "forked", buffers: "per connection, in a process of its own", throughput: true, ramp: true},
	{name: "gonet", program: "gonet", buffers: perConnBuffer, throughput: true, ramp: true, quick: true},
	{name: "busywait", program: "busywait", buffers: sharedBuffer, throughput: true},
	{name: "select", program: "select", buffers: sharedBuffer, throughput: true, ramp: true},
	{name: "poll", program: "poll", buffers: sharedBuffer, throughput: true, ramp: true},
	{name: "epoll", program: "epoll", buffers: sharedBuffer, throughput: true, ramp: true, quick: true},
	{name: "uring", program: "uring", buffers: "a ring of 64 × 64 KiB, shared", throughput: true, ramp: true, quick: true},
	{name: "gnet", program: "gnet", buffers: gnetBuffers, throughput: true, ramp: true, quick: true},
	// Many event loops, and gnet with as many: unpinned (see unpinned), N loops each.
	{name: "multiloop-1", program: "multiloop", buffers: sharedBuffer + " per loop", args: []string{"-loops", "1"}, throughput: true},
	{name: "gnet-1", program: "gnet", buffers: gnetBuffers + " per loop", args: []string{"-loops", "1"}, throughput: true},
	{name: "multiloop-2", program: "multiloop", buffers: sharedBuffer + " per loop", args: []string{"-loops", "2"}, throughput: true, quick: true},
	{name: "gnet-2", program: "gnet", buffers: gnetBuffers + " per loop", args: []string{"-loops", "2"}, throughput: true, quick: true},
}

// What the servers read into. A blocking server needs a buffer for every connection it is
// waiting on; a loop reads one connection at a time into one buffer.
const (
	perConnBuffer = "per connection: 4 KiB, up to 64 KiB while reads fill it"
	sharedBuffer  = "one of 64 KiB, shared"
	gnetBuffers   = "one of 64 KiB, shared (gnet's default)"
)

func modeNamed(name string) (mode, error) {
	i := slices.IndexFunc(modes, func(m mode) bool { return m.name == name })
	if i < 0 {
		return mode{}, fmt.Errorf("no mode %q in the benchmark's table (tools/bench/cmd/bench/modes.go)", name)
	}
	return modes[i], nil
}

// modeNames picks the names of the rows that keep.
func modeNames(keep func(mode) bool) []string {
	var names []string
	for _, m := range modes {
		if keep(m) {
			names = append(names, m.name)
		}
	}
	return names
}

// command is the program and arguments that run a mode from bin.
func (m mode) command(bin string) (string, []string) {
	return filepath.Join(bin, m.program), m.args
}
