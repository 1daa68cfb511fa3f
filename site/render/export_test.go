package render

import (
	"encoding/json"
	"html/template"
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

// The whole book on one page: every chapter, in order, and no two elements with one ID, and
// every link within the page (a section, another chapter, a section of another chapter)
// leads to an element of it.
func TestWholeBook(t *testing.T) {
	b, err := Load(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := b.WholeBook(&buf, Live); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	at := 0
	for _, c := range b.Chapters {
		i := strings.Index(page[at:], `<article class="chapter whole" id="`+c.Slug+`">`)
		if i < 0 {
			t.Fatalf("%s is missing or out of order", c.File)
		}
		at += i
		if !strings.HasPrefix(page[at:], `<article class="chapter whole" id="`+c.Slug+`">`) ||
			!strings.Contains(page[at:at+500], "<h1>"+template.HTMLEscapeString(c.Title)+"</h1>") {
			t.Errorf("%s: no title after its start", c.File)
		}
	}
	ids := map[string]int{}
	for _, m := range regexp.MustCompile(` id="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q is on %d elements", id, n)
		}
	}
	inPage := 0
	for _, m := range regexp.MustCompile(`href="#([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if ids[m[1]] == 0 {
			t.Errorf("a link to #%s, which is not on the page", m[1])
		}
		inPage++
	}
	if crossChapter := strings.Count(page, `href="#`+b.Chapters[7].Slug); crossChapter == 0 || inPage < 100 {
		t.Errorf("%d links within the page, %d to %s: the links between chapters were not made links within the page", inPage, crossChapter, b.Chapters[7].Slug)
	}
}
