package main

import (
	"fmt"

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
	p.Controls = &render.Controls{
		Clients: render.Range(s.Clients),
		Conns:   render.Range(s.Conns),
		Slow:    s.Slow,
		Console: s.Console,
	}
	return p
}
