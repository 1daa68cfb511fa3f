package run

import (
	"slices"
	"strings"
	"sync"
	"time"

	"flavors/internal/proc"
)

// A sampler reports a server's /proc figures every sampleEvery, and tells the run which
// clients' connections the server has accepted.
type sampler struct {
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startSampler(rn *Run, pid int) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop(rn, pid)
	return s
}

func (s *sampler) loop(rn *Run, pid int) {
	defer close(s.done)
	statsTick := time.NewTicker(sampleEvery)
	defer statsTick.Stop()
	acceptTick := time.NewTicker(acceptEvery)
	defer acceptTick.Stop()
	acceptTick.Stop() // runs only while a lane's connection waits to be accepted
	// The server's children are sampled with it: forked's are its connections.
	prev, err := proc.ReadTree(pid)
	if err != nil {
		return
	}
	var threads threadSampler
	watchAccepts := func() bool {
		waiting, err := rn.lanes.check(rn)
		if err != nil {
			return false
		}
		if waiting {
			acceptTick.Reset(acceptEvery)
		} else {
			acceptTick.Stop()
		}
		return true
	}
	for {
		select {
		case <-s.quit:
			return
		case <-rn.lanes.wake:
			if !watchAccepts() {
				return
			}
		case <-acceptTick.C:
			if !watchAccepts() {
				return
			}
		case <-statsTick.C:
			cur, err := proc.ReadTree(pid)
			if err != nil || !watchAccepts() {
				return // the server is gone; its status event says how
			}
			conns := max(cur.Sockets-1, 0) // every socket but the listener
			rn.held.Store(int64(conns))
			rn.emit(Event{Type: "stats", Stats: &Stats{
				CPU: proc.CPUPercent(prev, cur), RSS: cur.RSS, Threads: cur.Threads, FDs: cur.FDs, Conns: conns,
			}})
			prev = cur
			if rn.spec.Scenario.Loops {
				rn.lanes.findOwners(rn, pid)
				threads.sample(rn, pid)
			}
		}
	}
}

// stop ends sampling and returns once the sampler has let go of the pid.
func (s *sampler) stop() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
}

// threadSampler reports, once a second, the CPU each named thread of the server used
// (servers that run many loops name each loop's thread): a "threads" event.
type threadSampler struct {
	at   time.Time
	prev map[string]time.Duration
}

func (ts *threadSampler) sample(rn *Run, pid int) {
	if time.Since(ts.at) < time.Second {
		return
	}
	cur, err := proc.ThreadCPU(pid)
	if err != nil {
		return
	}
	now := time.Now()
	if ts.prev != nil {
		wall := now.Sub(ts.at).Seconds()
		var out []ThreadCPU
		for name, cpu := range cur {
			if name == rn.spec.Mode {
				continue // the runtime's threads, which kept the program's name
			}
			pct := (cpu - ts.prev[name]).Seconds() / wall * 100
			out = append(out, ThreadCPU{Name: name, CPU: float64(int(pct*10)) / 10})
		}
		slices.SortFunc(out, func(a, b ThreadCPU) int { return strings.Compare(a.Name, b.Name) })
		rn.emit(Event{Type: "threads", Threads: out})
	}
	ts.at, ts.prev = now, cur
}
