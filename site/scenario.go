package main

import (
	"context"
	"fmt"
	"slices"
)

// A scenario is what a chapter's Run button plays against its server, chosen so the
// chapter's lesson shows on the page. The front matter names it; only these exist.
type scenario struct {
	Name string
	// Text says what to watch, per mode (the key "" is for any mode).
	Lessons map[string]string
	// Modes are the servers it runs when the chapter names none (c10k runs several).
	Modes []string
	// The reader's controls; a zero Max means the control is not offered.
	Clients optionRange
	Conns   optionRange
	Slow    bool // the "one slow client" switch is offered (and on by default)
	// Console: its servers speak the book's protocol, so the reader's console can talk to them.
	Console bool
	Scales  scales
	Lanes   func(opts runOptions) []string
	Play    func(ctx context.Context, rn *run, opts runOptions) error
}

type optionRange struct{ Default, Min, Max int }

func (r optionRange) clamp(v int) int {
	switch {
	case r.Max == 0:
		return 0
	case v == 0:
		return r.Default
	}
	return max(r.Min, min(v, r.Max))
}

// bookScales are the gauges' maximums on every chapter but c10k, so that a reader moving
// from one chapter to the next compares like with like.
var bookScales = scales{CPU: 100, RSS: 64 << 20, Threads: 32, FDs: 256}

// scales are the gauges' maximums for a run. A scenario that ramps connections (c10k)
// scales threads and descriptors to the reader's number, the same for every mode it runs.
func (s *scenario) scales(opts runOptions) *scales {
	sc := s.Scales
	if opts.Conns > 0 {
		sc.Threads, sc.FDs = opts.Conns+100, opts.Conns+100
	}
	return &sc
}

// lesson is the sentence that tells the reader what to watch when s runs mode.
func (s *scenario) lesson(mode string) string {
	if t, ok := s.Lessons[mode]; ok {
		return t
	}
	return s.Lessons[""]
}

// options checks and clamps what the page asked for; nothing else of it is used.
func (s *scenario) options(asked runOptions) runOptions {
	return runOptions{
		Clients: s.Clients.clamp(asked.Clients),
		Slow:    s.Slow && asked.Slow,
		Conns:   s.Conns.clamp(asked.Conns),
	}
}

// scenarios are the book's scenarios by name.
var scenarios = map[string]*scenario{}

func addScenario(s *scenario) {
	if s.Scales == (scales{}) {
		s.Scales = bookScales
	}
	scenarios[s.Name] = s
}

// consoleScenario keeps the server up, doing nothing, for the reader's console: it is what
// runs when the reader types a command with no run going.
var consoleScenario = &scenario{
	Name:    "console",
	Console: true,
	Lessons: map[string]string{"": "The server runs for your console until you press Stop (at most a minute)."},
	Scales:  bookScales,
	Lanes:   func(runOptions) []string { return nil },
	Play: func(ctx context.Context, rn *run, opts runOptions) error {
		if _, err := rn.serve(); err != nil {
			return err
		}
		rn.running()
		if opts.ConsoleLine != "" {
			rn.consoleCommand(opts.ConsoleLine)
		}
		<-ctx.Done()
		return nil
	},
}

// runnable is what a chapter's Run panel offers: its scenario and the modes it can start.
func runnable(b *book, c *chapter) (*scenario, []string, error) {
	if c.Scenario == "" && len(c.Servers) == 0 {
		return nil, nil, nil
	}
	s, ok := scenarios[c.Scenario]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no scenario named %q", c.File, c.Scenario)
	}
	modes := c.Servers
	if len(modes) == 0 {
		for _, m := range s.Modes {
			if slices.Contains(b.modes(), m) {
				modes = append(modes, m)
			}
		}
	}
	if len(modes) == 0 {
		return nil, nil, fmt.Errorf("%s: scenario %q has no server to run", c.File, c.Scenario)
	}
	return s, modes, nil
}

// laneNames are "A", "B", … with the slow client marked.
func laneNames(n int, slow bool) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = string(rune('A' + i))
	}
	if slow && n > 0 {
		names[0] += " (slow)"
	}
	return names
}
