package eventloop

import "sync"

// Inbox lets other goroutines hand work to a loop, which otherwise hears only from the
// kernel. Post queues a function and rings a doorbell, a descriptor the loop watches (an
// eventfd on Linux, a pipe elsewhere); the loop wakes, takes the whole queue, and runs each
// function on its own goroutine, as it runs handlers.
type Inbox struct {
	bell  doorbell
	mu    sync.Mutex
	queue []func()
	rung  bool // rung, and the loop has not taken the queue yet: ringing again is a wasted call
}

// NewInbox gives l an inbox. Call it on l's goroutine, like every Loop method; Post may
// then be called from any goroutine.
func NewInbox(l *Loop) (*Inbox, error) {
	bell, err := newDoorbell()
	if err != nil {
		return nil, err
	}
	in := &Inbox{bell: bell}
	if err := l.Add(bell.fd(), Readable, in.answer, nil); err != nil {
		bell.close()
		return nil, err
	}
	return in, nil
}

// Post queues fn to run on the loop's goroutine, and wakes the loop unless a wake-up is
// already on its way. Safe for concurrent use.
func (in *Inbox) Post(fn func()) error {
	in.mu.Lock()
	in.queue = append(in.queue, fn)
	ring := !in.rung
	in.rung = true
	in.mu.Unlock()
	if ring {
		return in.bell.ring()
	}
	return nil
}

// answer runs on the loop when the bell rang. It silences the bell before it takes the
// queue: in the other order, a Post in between would ring a bell about to be silenced,
// and its function would wait for some later ring.
func (in *Inbox) answer(int, Mask) {
	in.bell.silence()
	in.mu.Lock()
	queue := in.queue
	in.queue, in.rung = nil, false
	in.mu.Unlock()
	for _, fn := range queue {
		fn()
	}
}
