package render

import "html/template"

// A Panel is what a chapter's Run panel shows: the servers it runs, what to watch on each,
// and each one's recorded session, which the page draws before the reader presses Run (and
// which is all the export has). Controls are what the reader may set before Run; without
// them (the export) nothing runs, and the panel says how to run it locally.
type Panel struct {
	Chapter  string // its slug, sent back with run messages
	Modes    []PanelMode
	Controls *Controls
	Error    string // the chapter's Run panel cannot work; shown instead
}

// A PanelMode is one server a panel can run.
type PanelMode struct {
	Name      string
	Watch     string
	Recording template.JS // its recorded events as a JSON array; "" when there is none yet
}

// Controls are the reader's settings for a live run. A zero Max means the control is not
// offered.
type Controls struct {
	Clients, Conns Range
	Presets        []Preset // buttons that set the server and the connections to a run worth seeing
	Slow           bool     // the "one slow client" switch (on by default)
	SlowDisk       Range    // milliseconds per sync of the durable server's log
	Crash          bool     // the "kill -9 and restart" button, pressed during a run
	Console        bool     // the server speaks the book's protocol: the console can talk to it
}

// A Preset is one such button: Label says what the run shows.
type Preset struct {
	Label string
	Mode  string // "" leaves the server as chosen
	Conns int
}

// A Range is a number field's default and bounds.
type Range struct{ Default, Min, Max int }

// Panel is chapter c's Run panel with its recordings and no controls; nil when the chapter
// runs nothing.
func (b *Book) Panel(c *Chapter) *Panel {
	if !c.Runs() {
		return nil
	}
	p := &Panel{Chapter: c.Slug}
	for _, m := range c.Servers {
		rec, err := b.recording(c.Scenario, m)
		if err != nil {
			return &Panel{Chapter: c.Slug, Error: err.Error()}
		}
		p.Modes = append(p.Modes, PanelMode{Name: m, Watch: c.Watch(m), Recording: template.JS(rec)})
	}
	if len(p.Modes) == 0 {
		p.Error = c.File + " names no server to run"
	}
	return p
}
