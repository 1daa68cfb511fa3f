package main

import (
	"strconv"
	"strings"
)

// parseLoopStats reads the counters a readiness loop (select, poll, epoll) prints on
// standard error when started with -stats. PROVISIONAL: the format is the nonblocking
// chapters' to define; until then, a line holding passed=N and ready=N (calls=N optional).
func parseLoopStats(line string) (loopStats, bool) {
	var l loopStats
	seen := 0
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimRight(v, ",;/s"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "calls":
			l.Calls = n
		case "passed":
			l.Passed, seen = n, seen+1
		case "ready":
			l.Ready, seen = n, seen+1
		}
	}
	return l, seen == 2
}
