package render

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var linkAttr = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

// The export of the real book: a page per chapter, and every link and script of every page
// leads to a file of the export, by a relative path (so it works under any prefix).
func TestExport(t *testing.T) {
	b, err := Load(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(out, "stale"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.Export(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "stale")); !os.IsNotExist(err) {
		t.Errorf("what was in out/ before is still there: %v", err)
	}
	links := 0
	for _, c := range b.Chapters {
		page, err := os.ReadFile(filepath.Join(out, Export.Href(c)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), "<h1>"+c.Title) && !strings.Contains(string(page), "<h1>Appendix") {
			t.Errorf("%s: no title", c.File)
		}
		for _, m := range linkAttr.FindAllStringSubmatch(string(page), -1) {
			u, err := url.Parse(m[1])
			if err != nil {
				t.Errorf("%s: link %q: %v", c.File, m[1], err)
				continue
			}
			if u.Scheme != "" || u.Path == "" { // another site, or a place on this page
				continue
			}
			if strings.HasPrefix(u.Path, "/") {
				t.Errorf("%s: link %q is absolute: it breaks under a path prefix", c.File, m[1])
				continue
			}
			links++
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(u.Path))); err != nil {
				t.Errorf("%s: link %q leads nowhere in the export", c.File, m[1])
			}
		}
		if strings.Contains(string(page), `<section class="run"`) != strings.Contains(string(page), `data-recording="`) {
			t.Errorf("%s: a Run panel without a recording, or a recording without its panel", c.File)
		}
		if c.Scenario == "blocking" && !strings.Contains(string(page), `data-recording="blocking"`) {
			t.Errorf("%s: its recording is missing", c.File)
		}
		if strings.Contains(string(page), "data-run") {
			t.Errorf("%s: a Run button in the export, where nothing runs", c.File)
		}
	}
	if links < 10*len(b.Chapters) {
		t.Errorf("only %d links checked: is the pattern still right?", links)
	}
	search, err := os.ReadFile(filepath.Join(out, "search.js"))
	if err != nil {
		t.Fatal(err)
	}
	index := strings.TrimSuffix(strings.TrimPrefix(string(search), SearchPrefix), ";\n")
	var entries []SearchEntry
	if err := json.Unmarshal([]byte(index), &entries); err != nil || len(entries) < len(b.Chapters) {
		t.Fatalf("search.js: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(out, e.URL)); err != nil {
			t.Errorf("search result %q leads to %q, not a page of the export", e.Heading, e.URL)
		}
	}
}
