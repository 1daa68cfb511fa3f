package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flavors/site/render"
	"flavors/site/run"
	"flavors/tools/tangle"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// Every chapter renders: its title, the sidebar with it marked, its code blocks labelled
// with what they tangle into, and the links to its neighbours.
func TestEveryChapterRenders(t *testing.T) {
	ts := startSite(t)
	b, err := render.Load(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	chapters, err := tangle.ReadChapters(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range b.Chapters {
		href := render.Live.Href(c)
		status, page := get(t, ts.srv.URL+"/"+href)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", href, status)
		}
		if !strings.Contains(page, "<h1>"+htmlEscape(c.Title)+"</h1>") {
			t.Errorf("%s: no title %q", href, c.Title)
		}
		if !strings.Contains(page, `href="`+href+`" aria-current="page"`) {
			t.Errorf("%s: the sidebar does not mark it as current", href)
		}
		if i+1 < len(b.Chapters) && !strings.Contains(page, `href="`+render.Live.Href(b.Chapters[i+1])+`" rel="next"`) {
			t.Errorf("%s: no link to the next chapter", href)
		}
		blocks, err := tangle.Blocks(chapters[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, bl := range blocks {
			if target := bl.Attrs.Target(); target != "" && !strings.Contains(page, `<span class="code-label">`+htmlEscape(target)) {
				t.Errorf("%s: the block at line %d is not labelled %q", href, bl.Info.Line, target)
			}
		}
		if strings.Count(page, `<figure class="code`) != strings.Count(page, `class="copy"`) {
			t.Errorf("%s: a code block without its copy button", href)
		}
	}
	if status, _ := get(t, ts.srv.URL+"/no-such-chapter"); status != http.StatusNotFound {
		t.Errorf("unknown page: status %d", status)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// Every chapter that runs something names a scenario the site knows, on modes that exist,
// says what to watch on each, and has a recording of it for every mode, made by the site's
// runner and ending well.
func TestEveryRunnableChapterHasItsRecordings(t *testing.T) {
	root := repoRoot(t)
	b, err := render.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	runnables := 0
	for _, c := range b.Chapters {
		scen, err := runnable(c)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if scen == nil {
			continue
		}
		runnables++
		for _, mode := range c.Servers {
			if _, err := os.Stat(filepath.Join(root, "code", mode)); err != nil {
				t.Errorf("%s: mode %s has no code/%s", c.File, mode, mode)
			}
			if c.Watch(mode) == "" {
				t.Errorf("%s: no watch.%s (or watch) in the front matter: what should the reader watch?", c.File, mode)
			}
			checkRecording(t, b.RecordingPath(scen.Name, mode), scen, mode)
		}
	}
	if runnables == 0 {
		t.Fatal("no chapter runs anything")
	}
}

func checkRecording(t *testing.T, path string, scen *run.Scenario, mode string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("no recording of %s on %s: %v (make record)", scen.Name, mode, err)
		return
	}
	defer f.Close()
	var events []run.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e run.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Errorf("%s: %v", path, err)
			return
		}
		events = append(events, e)
	}
	if len(events) < 3 {
		t.Errorf("%s: only %d events", path, len(events))
		return
	}
	first, last := events[0], events[len(events)-1]
	if first.Type != "run" || first.Mode != mode || first.Scenario != scen.Name {
		t.Errorf("%s: starts with %+v", path, first)
	}
	if last.Type != "end" || last.Text != "the scenario is over" {
		t.Errorf("%s: ends with %+v", path, last)
	}
	responses := 0
	for i, e := range events {
		if i > 0 && e.T < events[i-1].T {
			t.Errorf("%s: time goes back at line %d", path, i+1)
		}
		if e.Type == "client" && e.Op == "response" {
			responses++
		}
		if e.Type == "status" && e.Status == "failed" {
			t.Errorf("%s: the recorded run failed: %s", path, e.Text)
		}
	}
	if responses == 0 {
		t.Errorf("%s: no client got an answer", path)
	}
}

// Search gets the whole book's text cut at headings, in book order.
func TestSearchIndex(t *testing.T) {
	ts := startSite(t)
	status, body := get(t, ts.srv.URL+"/search.js")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	index, ok := strings.CutPrefix(body, render.SearchPrefix)
	if !ok {
		t.Fatalf("search.js starts %.40q", body)
	}
	var entries []render.SearchEntry
	if err := json.Unmarshal([]byte(strings.TrimSuffix(index, ";\n")), &entries); err != nil {
		t.Fatal(err)
	}
	b, _ := render.Load(ts.root)
	order := map[string]int{}
	for _, c := range b.Chapters {
		order[render.Live.Href(c)] = c.Number
	}
	last := 0
	chapters := map[string]bool{}
	for _, e := range entries {
		if order[e.URL] < last {
			t.Fatalf("%q (%s) comes after chapter %d", e.Heading, e.URL, last)
		}
		last = order[e.URL]
		chapters[e.URL] = true
	}
	if len(chapters) != len(b.Chapters) {
		t.Errorf("index covers %d chapters of %d", len(chapters), len(b.Chapters))
	}
}

// The c10k chapter's plots are served as SVG by their plain names, and nothing else is.
func TestFigures(t *testing.T) {
	ts := startSite(t)
	status, body := get(t, ts.srv.URL+"/figures/c10k-threads.svg")
	if status != http.StatusOK || !strings.HasPrefix(body, "<svg") {
		t.Fatalf("c10k-threads.svg: status %d, body %.40q", status, body)
	}
	for _, bad := range []string{"..%2fgo.mod", "..%2f04-c10k.md", "c10k-bench.json", "missing.svg", "A.svg"} {
		if status, _ := get(t, ts.srv.URL+"/figures/"+bad); status != http.StatusNotFound {
			t.Errorf("/figures/%s: status %d, want 404", bad, status)
		}
	}
}
