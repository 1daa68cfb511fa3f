// Package scenario is the table of what the chapters' Run buttons play. A chapter names its
// scenario in its front matter ("scenario: NAME"), and the servers to run it on ("servers:
// MODE …"), with what the reader should watch on each ("watch: …", "watch.MODE: …"). A new
// scenario is one more entry in Table.
package scenario

import (
	"time"

	"flavors/site/run"
)

// Table is every scenario a chapter can name.
var Table = []*run.Scenario{
	{
		Name: "hello",
		Lanes: func(run.Options) []string {
			return []string{"A · one at a time", "B · one at a time", "A · concurrent", "B · concurrent"}
		},
		Play: playHello,
	},
	{
		Name:    "blocking",
		Clients: run.OptionRange{Default: 3, Min: 1, Max: 6},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			stagger: 300 * time.Millisecond, slowFor: 3 * time.Second, quietEnd: 500 * time.Millisecond,
		}.play,
	},
	{
		Name:    "threaded",
		Clients: run.OptionRange{Default: 8, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			stagger: 200 * time.Millisecond, hold: 2 * time.Second, slowFor: 3 * time.Second,
			quietEnd: 500 * time.Millisecond,
			// Fewer workers than clients, so that some of them wait.
			modeFlags: map[string][]string{"pool": {"-workers", "3"}},
		}.play,
	},
	{
		Name:    "c10k",
		Conns:   run.OptionRange{Default: 2000, Min: 100, Max: 10000},
		Presets: []run.Preset{{Label: "10,000: threaded hits Go's thread limit", Mode: "threaded", Conns: 10000}}, // the default stays clear of that wall
		Console: true,
		Lanes:   func(run.Options) []string { return laneNames(c10kActive, false) },
		Play:    playC10K,
	},
	{
		Name:    "busywait",
		Clients: run.OptionRange{Default: 4, Min: 1, Max: 8},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			quietStart: 1500 * time.Millisecond, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: 1500 * time.Millisecond, flags: []string{"-stats"},
		}.play,
	},
	{
		Name:    "select",
		Clients: run.OptionRange{Default: 4, Min: 1, Max: 8},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			idleConns: 100, stagger: 200 * time.Millisecond, hold: 1500 * time.Millisecond,
			slowFor: 3 * time.Second, quietEnd: 2 * time.Second, flags: []string{"-stats"},
		}.play,
	},
	{
		Name:    "epoll",
		Clients: run.OptionRange{Default: 6, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			idleConns: 100, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: 2 * time.Second, flags: []string{"-stats"},
		}.play,
	},
	{
		Name:    "backpressure",
		Clients: run.OptionRange{Default: 3, Min: 2, Max: 6},
		Console: true,
		Lanes: func(opts run.Options) []string {
			names := laneNames(opts.Clients, false)
			names[0] += " (never reads)"
			return names
		},
		Play: backpressurePlan{push: 10 * time.Second, stuck: 3 * time.Second, tick: 300 * time.Millisecond}.play,
	},
	{
		Name:    "multiloop",
		Clients: run.OptionRange{Default: 8, Min: 2, Max: 16},
		Console: true,
		Loops:   true,
		Lanes: func(opts run.Options) []string {
			names := laneNames(opts.Clients, false)
			names[0] += " (busy)"
			return names
		},
		Play: playMultiloop,
	},
	{
		Name:    "uring",
		Clients: run.OptionRange{Default: 6, Min: 1, Max: 16},
		Slow:    true,
		Console: true,
		Lanes:   kvLanes,
		Play: kvPlan{
			idleConns: 100, stagger: 200 * time.Millisecond, hold: 2 * time.Second,
			slowFor: 3 * time.Second, quietEnd: 2 * time.Second, flags: []string{"-stats"},
		}.play,
	},
	{
		Name:     "durable",
		SlowDisk: run.OptionRange{Default: 200, Min: 1, Max: 1000},
		Crash:    true,
		Console:  true,
		Lanes:    durableLanes,
		Play:     playDurable,
	},
	{
		Name:    "delivery",
		Clients: run.OptionRange{Default: 3, Min: 1, Max: 6},
		Console: true,
		Lanes:   kvLanes,
		Play: deliveryPlan{
			appends: 300, batch: 10, pace: 250 * time.Millisecond,
			cutEvery: 2 * time.Second, answerTimeout: time.Second,
		}.play,
	},
}

// Lookup finds a scenario of Table by name.
func Lookup(name string) (*run.Scenario, bool) {
	for _, s := range Table {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
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

func kvLanes(opts run.Options) []string { return laneNames(opts.Clients, opts.Slow) }
