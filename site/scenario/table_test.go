package scenario

import (
	"testing"

	"flavors/site/run"
)

// Every scenario of the table is complete (a forgotten field would show as a panic or an
// empty gauge only when a reader presses Run), and names are unique.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range append([]*run.Scenario{Console}, Table...) {
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
		if got, ok := Lookup(s.Name); s != Console && (!ok || got != s) {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got, ok)
		}
	}
	if _, ok := Lookup("console"); ok {
		t.Error("the console's scenario is not a chapter's")
	}
}

func TestLaneNames(t *testing.T) {
	if got := laneNames(3, true); got[0] != "A (slow)" || got[2] != "C" {
		t.Errorf("lanes %q", got)
	}
}
