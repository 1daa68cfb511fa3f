package run

import (
	"fmt"
	"sync"
	"syscall"
)

// The site's own file descriptors are one budget shared by every run: a c10k run at 10,000
// connections holds 10,000 client sockets in the site's process. Two such runs would meet
// the process's limit halfway through, and the reader would find out from a failed dial
// deep in the log. So a run reserves what it will hold before it starts, and one that
// would not fit is refused up front, saying why.
const (
	// siteOwnFDs is kept back for the site itself: its listener, the pages' connections and
	// websockets, the files it reads.
	siteOwnFDs = 512
	// fdsPerRun is what a run holds besides its lanes and the reader's connections: the
	// hundred silent connections of the readiness chapters, the server's and the build's
	// output pipes, netlink and /proc lookups, the console's connection.
	fdsPerRun = 160
)

// fdBudget is what the runs going hold of the site's descriptors.
type fdBudget struct {
	mu    sync.Mutex
	limit int // the process's limit (RLIMIT_NOFILE as Go raised it at start)
	held  int // reserved by the runs going
}

// processFDLimit is this process's descriptor limit. Go raises the soft limit to the hard
// one at start, so the soft limit is what the site may use.
func processFDLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 1 << 30
	}
	return int(lim.Cur)
}

// reserve takes n descriptors for a run, or refuses with the reason.
func (b *fdBudget) reserve(n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.limit - siteOwnFDs - b.held
	if n > free {
		if b.held == 0 {
			return fmt.Errorf("this run would hold %d file descriptors in the site, more than its limit of %d allows; choose fewer connections", n, b.limit)
		}
		return fmt.Errorf("this run would hold %d file descriptors in the site, and the runs going on other pages hold %d of its limit of %d; choose fewer connections, or wait for them to end", n, b.held, b.limit)
	}
	b.held += n
	return nil
}

func (b *fdBudget) release(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
}

// descriptors is how many of the site's descriptors a run of s with opts holds at most:
// every connection it opens, and the run's own.
func (s *Scenario) descriptors(opts Options) int {
	return opts.Conns + len(s.Lanes(opts)) + fdsPerRun
}
