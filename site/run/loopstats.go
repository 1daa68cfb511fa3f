package run

import (
	"regexp"
	"strconv"
)

// A readiness or polling loop started with -stats prints its counters once a second on
// standard error (code/loopstats), the first counter being the loop's own call:
//
//	poll=1012/s passed=1014024/s (1002.00/poll) ready=1012/s (1.00/poll) refused=0/s (0.00/poll)
//	epoll_wait=9/s events=12/s (1.33/epoll_wait)
//	syscall=2400311/s fruitless=2400290/s (1.00/syscall)
//
// A server with many loops (multiloop) prints such a line for all of them, then one per
// loop: its name and the connections it owns, then its counters, of which those that mean
// nothing per call (connections opened, listener wake-ups) have no per-call figure:
//
//	loop0: conns=25 epoll_wait=9433/s events=20811/s (2.21/epoll_wait) opened=0/s woken=0/s
//
// parseLoopStats turns such a line into a loop event's counters; any other line is not one.
var (
	loopLine    = regexp.MustCompile(`^[a-z_]+=\d+/s( [a-z_]+=\d+/s \([0-9.]+/[a-z_]+\))*$`)
	oneLoopLine = regexp.MustCompile(`^([a-z]+[0-9]+): conns=(\d+) ([a-z_]+=\d+/s( [a-z_]+=\d+/s( \([0-9.]+/[a-z_]+\))?)*)$`)
	loopField   = regexp.MustCompile(`([a-z_]+)=(\d+)/s`)
)

func parseLoopStats(line string) (LoopStats, bool) {
	var l LoopStats
	if m := oneLoopLine.FindStringSubmatch(line); m != nil {
		l.Name, line = m[1], m[3]
		l.Conns, _ = strconv.Atoi(m[2])
	} else if !loopLine.MatchString(line) {
		return LoopStats{}, false
	}
	for i, m := range loopField.FindAllStringSubmatch(line, -1) {
		rate, _ := strconv.ParseFloat(m[2], 64)
		if i == 0 {
			l.Unit, l.Calls = m[1], rate
			continue
		}
		per := 0.0
		if l.Calls > 0 {
			per = rate / l.Calls
		}
		l.Per = append(l.Per, LoopCounter{Name: m[1], Rate: rate, PerCall: per})
	}
	return l, true
}
