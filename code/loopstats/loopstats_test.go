package loopstats

import "testing"

func TestRatesPerSecondAndPerUnit(t *testing.T) {
	calls, passed, ready := NewCounter("poll"), NewCounter("passed"), NewCounter("ready")
	counters := []*Counter{calls, passed, ready}
	last := make([]uint64, len(counters))

	calls.Add(4)
	passed.Add(4000)
	ready.Add(6)
	if got, want := rates(counters, last), "poll=4/s passed=4000/s (1000.00/poll) ready=6/s (1.50/poll)"; got != want {
		t.Errorf("first second: %q; want %q", got, want)
	}
	// Only what was added since the last line counts; an idle second has no ratios.
	if got, want := rates(counters, last), "poll=0/s passed=0/s ready=0/s"; got != want {
		t.Errorf("idle second: %q; want %q", got, want)
	}
}
