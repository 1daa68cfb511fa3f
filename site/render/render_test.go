package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// repoRoot is the repository holding this package: the real book is what these tests render.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chapters")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The page is ours: raw HTML in a chapter is dropped; code is escaped and highlighted;
// links between chapter files become links between pages; the run marker places the panel.
func TestMarkdown(t *testing.T) {
	src := "Lead.\n\n<script>alert(1)</script>\n\n<!-- run -->\n\n## First\n\nSee [the loop](07-event-loop.md#the-loop), [Go](https://go.dev/) and [later](12-later.md).\n\n" +
		"| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n```go file=code/x/x.go\npackage x // <b>\n```\n\n```go chunk=c append\nx := 1\n```\n\n```sh\n$ make\n```\n"
	out, err := renderChapter([]byte(src), "T", map[string]string{"07-event-loop.md": "07-event-loop"}, "")
	if err != nil {
		t.Fatal(err)
	}
	html := string(out.Before) + "PANEL" + string(out.After)
	for _, want := range []string{
		`<h2 id="first">First <a class="anchor" href="#first"`,
		`href="07-event-loop#the-loop"`,
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
	if strings.Contains(html, "style=") || !strings.Contains(html, `<td align="right">1</td>`) {
		t.Errorf("a style attribute, which the page's policy refuses, or a table cell not aligned:\n%s", html)
	}
	if strings.Contains(html, "12-later.md") || !strings.Contains(html, "and later.</p>") {
		t.Error("a link to a chapter not written yet should be its text alone")
	}
	if !regexp.MustCompile(`Lead\.</p>\s*PANEL\s*<h2`).MatchString(html) {
		t.Errorf("the panel is not where the marker was:\n%s", html)
	}
	if len(out.Headings) != 1 || out.Headings[0].ID != "first" {
		t.Errorf("headings %+v", out.Headings)
	}

	// Without a marker the panel goes before the first section.
	out, _ = renderChapter([]byte("Lead.\n\n## One\n\nText.\n"), "T", nil, "")
	if !strings.HasSuffix(strings.TrimSpace(string(out.Before)), "<p>Lead.</p>") {
		t.Errorf("panel not before the first h2: %q", out.Before)
	}
}

// Test code comes folded, its summary saying what it tests; the code it tests does not.
func TestTestsFold(t *testing.T) {
	src := "```go file=code/x/x.go\npackage x\n\nfunc TestNotATest() {}\n```\n\n" +
		"```go file=code/x/x_test.go\npackage x\n\nimport \"testing\"\n```\n\n" +
		"```go file=code/x/x_test.go append\n// dial <connects> to addr.\nfunc dial() {}\n```\n\n" +
		"```go file=code/x/x_test.go append\nfunc TestA(t *testing.T) {}\n\nfunc BenchmarkB(b *testing.B) {}\n```\n"
	out, err := renderChapter([]byte(src), "T", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	html := string(out.Before) + string(out.After)
	fold := regexp.MustCompile(`(?s)<details class="code-fold"><summary><span class="fold-kind">test</span> ([^<]*)</summary><figure class="code code-file">.*?</figure>\s*</details>`)
	var got []string
	for _, m := range fold.FindAllStringSubmatch(html, -1) {
		got = append(got, m[1])
	}
	want := []string{"the test file&#39;s package and imports", "dial &lt;connects&gt; to addr.", "TestA, BenchmarkB"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("folded blocks' summaries %q, want %q", got, want)
	}
	if !strings.HasPrefix(strings.TrimSpace(html), `<figure class="code code-file">`) {
		t.Errorf("code that is not a test is folded:\n%s", html)
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"blocking-blocking.jsonl": true, "c10k-epoll.jsonl": true,
		"../go.mod": false, "x.jsonl/..": false, ".jsonl": false, "a.json": false, "A.jsonl": false,
	} {
		if ValidName(name, ".jsonl") != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
}

// Links between pages are relative, so the site works under any path prefix; the live
// site serves chapters at their slugs, the export as files.
func TestLayoutHrefs(t *testing.T) {
	first, other := &Chapter{Number: 0, Slug: "00-introduction"}, &Chapter{Number: 2, Slug: "02-x"}
	for _, c := range []struct {
		l    Layout
		c    *Chapter
		want string
	}{{Live, first, "./"}, {Live, other, "02-x"}, {Export, first, "index.html"}, {Export, other, "02-x.html"}} {
		if got := c.l.Href(c.c); got != c.want {
			t.Errorf("%+v.Href(%s) = %q, want %q", c.l, c.c.Slug, got, c.want)
		}
	}
}

// A chapter's front matter says what to watch on each server, falling back to one sentence
// for all; a recording goes into the page as a JSON array that cannot close its <script>.
func TestPanel(t *testing.T) {
	root := t.TempDir()
	for dir, files := range map[string]map[string]string{
		"chapters":            {"00-a.md": "---\ntitle: A\nservers: one two\nscenario: s\nwatch: Both.\nwatch.two: \"Two: only.\"\n---\nText.\n"},
		"chapters/recordings": {"s-one.jsonl": `{"t":0,"type":"run"}` + "\n" + `{"t":1,"type":"note","text":"</script><b>"}` + "\n"},
	} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(root, dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Panel(b.Chapters[0])
	if p.Error != "" || len(p.Modes) != 2 {
		t.Fatalf("panel %+v", p)
	}
	if p.Modes[0].Watch != "Both." || p.Modes[1].Watch != "Two: only." {
		t.Errorf("watch %q, %q", p.Modes[0].Watch, p.Modes[1].Watch)
	}
	if p.Modes[1].Recording != "" {
		t.Errorf("mode two has no recording, got %q", p.Modes[1].Recording)
	}
	var page strings.Builder
	if err := b.Page(&page, Export, b.Chapters[0], p); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<script type="application/json" data-recording="one">(.*?)</script>`).FindStringSubmatch(page.String())
	if m == nil {
		t.Fatalf("no recording in the page:\n%s", page.String())
	}
	var events []map[string]any
	if err := json.Unmarshal([]byte(m[1]), &events); err != nil || len(events) != 2 || events[1]["text"] != "</script><b>" {
		t.Errorf("recording in the page: %v, %v", events, err)
	}

	if err := os.WriteFile(filepath.Join(root, "chapters/recordings/s-two.jsonl"), []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := b.Panel(b.Chapters[0]); !strings.Contains(p.Error, "line 1") {
		t.Errorf("a broken recording: %+v", p)
	}
}

// The modules join into one script; forms the join cannot handle are refused.
func TestBundle(t *testing.T) {
	fsys := fstest.MapFS{
		"a.js": {Data: []byte("import { b, c } from \"./b.js\";\nexport function a() { return b + c(); }\na();\n")},
		"b.js": {Data: []byte("// b\nexport const b = 1;\nexport function c() { return 2; }\nconst hidden = 3;\n")},
	}
	out, err := bundle(fsys, "a.js")
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"const mod_b = (() => {\n// b\nconst b = 1;\nfunction c() { return 2; }\nconst hidden = 3;\nreturn {b, c};\n})();",
		"const mod_a = (() => {\nconst { b, c } = mod_b;\nfunction a() { return b + c(); }\na();\nreturn {a};\n})();",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing\n%s\nin\n%s", want, text)
		}
	}
	if strings.Index(text, "mod_b = ") > strings.Index(text, "mod_a = ") {
		t.Error("a module comes before what it imports")
	}
	for name, src := range map[string]string{
		"default.js": "export default function f() {}\n",
		"star.js":    "import * as x from \"./b.js\";\n",
		"named.js":   "export { a };\n",
		"self.js":    "import { s } from \"./self.js\";\nexport const s = 1;\n",
	} {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
		if _, err := bundle(fsys, name); err == nil {
			t.Errorf("%s: %q bundled", name, src)
		}
	}
	if _, err := bundle(Static(), "run/panel.js"); err != nil {
		t.Errorf("the Run panel's own modules: %v", err)
	}
}
