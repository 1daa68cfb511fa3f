package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	b, err := loadBook(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	chapters, err := tangle.ReadChapters(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range b.Chapters {
		status, page := get(t, ts.srv.URL+c.URL)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", c.URL, status)
		}
		if !strings.Contains(page, "<h1>"+htmlEscape(c.Title)+"</h1>") {
			t.Errorf("%s: no title %q", c.URL, c.Title)
		}
		if !strings.Contains(page, `href="`+c.URL+`" aria-current="page"`) {
			t.Errorf("%s: the sidebar does not mark it as current", c.URL)
		}
		if i+1 < len(b.Chapters) && !strings.Contains(page, `href="`+b.Chapters[i+1].URL+`" rel="next"`) {
			t.Errorf("%s: no link to the next chapter", c.URL)
		}
		blocks, err := tangle.Blocks(chapters[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, bl := range blocks {
			if target := bl.Attrs.Target(); target != "" && !strings.Contains(page, `<span class="code-label">`+htmlEscape(target)) {
				t.Errorf("%s: the block at line %d is not labelled %q", c.URL, bl.Info.Line, target)
			}
		}
		if strings.Count(page, `<figure class="code`) != strings.Count(page, `class="copy"`) {
			t.Errorf("%s: a code block without its copy button", c.URL)
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
// and has a recording of it for every mode, made by the site's runner and ending well.
func TestEveryRunnableChapterHasItsRecordings(t *testing.T) {
	root := repoRoot(t)
	b, err := loadBook(root)
	if err != nil {
		t.Fatal(err)
	}
	runnables := 0
	for _, c := range b.Chapters {
		scen, modes, err := runnable(b, c)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if scen == nil {
			continue
		}
		runnables++
		for _, mode := range modes {
			if _, err := os.Stat(filepath.Join(root, "code", mode)); err != nil {
				t.Errorf("%s: mode %s has no code/%s", c.File, mode, mode)
			}
			checkRecording(t, filepath.Join(root, "chapters", "recordings", recordingName(scen.Name, mode)), scen, mode)
		}
	}
	if runnables == 0 {
		t.Fatal("no chapter runs anything")
	}
}

func checkRecording(t *testing.T, path string, scen *scenario, mode string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("no recording of %s on %s: %v (make record)", scen.Name, mode, err)
		return
	}
	defer f.Close()
	var events []event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
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
	status, body := get(t, ts.srv.URL+"/search.json")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var entries []searchEntry
	if err := json.Unmarshal([]byte(body), &entries); err != nil {
		t.Fatal(err)
	}
	b, _ := loadBook(ts.root)
	order := map[string]int{}
	for _, c := range b.Chapters {
		order[c.URL] = c.Number
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

// A recording is served only by its plain name.
func TestRecordingNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"blocking-blocking.jsonl": true, "c10k-epoll.jsonl": true,
		"../go.mod": false, "x.jsonl/..": false, ".jsonl": false, "a.json": false, "A.jsonl": false,
	} {
		if validRecordingName(name) != ok {
			t.Errorf("validRecordingName(%q) = %v", name, !ok)
		}
	}
	ts := startSite(t)
	if status, _ := get(t, ts.srv.URL+"/recordings/..%2fgo.mod"); status != http.StatusNotFound {
		t.Errorf("a path out of recordings/: status %d", status)
	}
}

// The page is ours: raw HTML in a chapter is dropped; code is escaped and highlighted;
// links between chapter files become links between pages; the run marker places the panel.
func TestMarkdown(t *testing.T) {
	md := newMarkdown()
	src := "Lead.\n\n<script>alert(1)</script>\n\n<!-- run -->\n\n## First\n\nSee [the loop](07-event-loop.md#the-loop) and [Go](https://go.dev/).\n\n" +
		"```go file=code/x/x.go\npackage x // <b>\n```\n\n```go chunk=c append\nx := 1\n```\n\n```sh\n$ make\n```\n"
	out, err := renderChapter(md, []byte(src), "T", map[string]string{"07-event-loop.md": "/07-event-loop"})
	if err != nil {
		t.Fatal(err)
	}
	html := string(out.Before) + "PANEL" + string(out.After)
	for _, want := range []string{
		`<h2 id="first">First <a class="anchor" href="#first"`,
		`href="/07-event-loop#the-loop"`,
		`href="https://go.dev/"`,
		`<span class="code-label">code/x/x.go</span>`,
		`<span class="code-label">&lt;&lt;c&gt;&gt; +=</span>`,
		`<figure class="code code-display"><figcaption><span class="code-label">sh</span>`,
		`&lt;b&gt;`,
		`<span class="kn">package</span>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s in\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("raw HTML reached the page")
	}
	if !regexp.MustCompile(`Lead\.</p>\s*PANEL\s*<h2`).MatchString(html) {
		t.Errorf("the panel is not where the marker was:\n%s", html)
	}
	if len(out.Headings) != 1 || out.Headings[0].ID != "first" {
		t.Errorf("headings %+v", out.Headings)
	}

	// Without a marker the panel goes before the first section.
	out, _ = renderChapter(md, []byte("Lead.\n\n## One\n\nText.\n"), "T", nil)
	if !strings.HasSuffix(strings.TrimSpace(string(out.Before)), "<p>Lead.</p>") {
		t.Errorf("panel not before the first h2: %q", out.Before)
	}
}
