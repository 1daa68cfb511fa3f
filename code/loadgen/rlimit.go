//go:build unix

package loadgen

import "golang.org/x/sys/unix"

// RaiseFileLimit lifts this process's soft limit on open descriptors to its hard limit and
// returns the soft limit now in force. Every connection is a descriptor, and the soft limit
// (often 1,024) is only a default: a process may raise it up to the hard limit by itself,
// while raising the hard limit takes privilege. Go has done this at start-up since 1.19;
// doing it here says so, and the number is what the c10k ramp can reach.
func RaiseFileLimit() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		// macOS refuses an unlimited soft limit; the old one then stays.
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return int(lim.Cur)
}
