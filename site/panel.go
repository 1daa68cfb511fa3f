package main

import (
	"fmt"
	"slices"

	"flavors/site/render"
	"flavors/site/run"
	"flavors/site/scenario"
)

// runnable is what a chapter's Run panel plays: the scenario its front matter names, on the
// servers it names. A chapter with no Run panel has none; a chapter whose panel cannot work
// is an error.
func runnable(c *render.Chapter) (*run.Scenario, error) {
	if !c.Runs() {
		return nil, nil
	}
	s, ok := scenario.Lookup(c.Scenario)
	if !ok {
		return nil, fmt.Errorf("%s: no scenario named %q", c.File, c.Scenario)
	}
	if len(c.Servers) == 0 {
		return nil, fmt.Errorf("%s: scenario %q has no server to run", c.File, c.Scenario)
	}
	return s, nil
}

// livePanel is chapter c's Run panel with the controls of its scenario.
func livePanel(b *render.Book, c *render.Chapter) *render.Panel {
	s, err := runnable(c)
	if err != nil {
		return &render.Panel{Chapter: c.Slug, Error: err.Error()}
	}
	if s == nil {
		return nil
	}
	p := b.Panel(c)
	var presets []render.Preset
	for _, pr := range s.Presets {
		if pr.Mode == "" || slices.Contains(c.Servers, pr.Mode) {
			presets = append(presets, render.Preset(pr))
		}
	}
	p.Controls = &render.Controls{
		Presets:  presets,
		Clients:  render.Range(s.Clients),
		Conns:    render.Range(s.Conns),
		Slow:     s.Slow,
		SlowDisk: render.Range(s.SlowDisk),
		Crash:    s.Crash,
		Console:  s.Console,
	}
	return p
}
