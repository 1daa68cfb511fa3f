package main

import (
	"os"
	"path/filepath"
)

// panelData is what the Run panel of a chapter shows and offers.
type panelData struct {
	Chapter  string // its slug, sent back with run messages
	Scenario *scenario
	Modes    []panelMode
	Error    string // the chapter names a scenario the site does not know
}

type panelMode struct {
	Name      string
	Lesson    string
	Recording string // URL of its recording, "" when there is none yet
}

func (s *site) panelFor(b *book, c *chapter) *panelData {
	scen, modes, err := runnable(b, c)
	if err != nil {
		return &panelData{Chapter: c.Slug, Error: err.Error()}
	}
	if scen == nil {
		return nil
	}
	p := &panelData{Chapter: c.Slug, Scenario: scen}
	for _, m := range modes {
		pm := panelMode{Name: m, Lesson: scen.lesson(m)}
		name := recordingName(scen.Name, m)
		if _, err := os.Stat(filepath.Join(s.recordingsDir(), name)); err == nil {
			pm.Recording = "/recordings/" + name
		}
		p.Modes = append(p.Modes, pm)
	}
	return p
}
