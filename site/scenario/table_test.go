package scenario

import (
	"testing"

	"flavors/site/run"
)

// Every scenario of the table is complete (a forgotten field would show as a panic or an
// empty gauge only when a reader presses Run), and names are unique.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Table {
		if s.Name == "" || seen[s.Name] {
			t.Errorf("scenario %q: no name, or a name used twice", s.Name)
		}
		seen[s.Name] = true
		if s.Play == nil || s.Lanes == nil {
			t.Errorf("scenario %q: Play and Lanes are required", s.Name)
		}
		if s.Clients.Max > 0 && len(s.Lanes(s.Options(run.Options{}))) != s.Clients.Default {
			t.Errorf("scenario %q: a lane per client", s.Name)
		}
		if got, ok := Lookup(s.Name); !ok || got != s {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got, ok)
		}
		for _, p := range s.Presets {
			if p.Conns < s.Conns.Min || p.Conns > s.Conns.Max || p.Label == "" {
				t.Errorf("scenario %q: preset %+v outside its connections' range", s.Name, p)
			}
		}
	}
}

func TestLaneNames(t *testing.T) {
	if got := laneNames(3, true); got[0] != "A (slow)" || got[2] != "C" {
		t.Errorf("lanes %q", got)
	}
}
