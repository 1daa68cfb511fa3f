// Package render turns the book's chapters into pages: the book as the site sees it (chapters,
// their front matter, recordings and figures), Markdown, the page template, the search index,
// and the static export. It knows nothing about running servers: a page's Run panel is data it
// is given, or, in the export, the recordings alone.
package render

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"flavors/tools/tangle"
)

// A Chapter as the site sees it: where it lives on the site and what it runs.
type Chapter struct {
	Number   int    // position in the book, from 0
	File     string // base name, e.g. "02-single-threaded-blocking.md"
	Slug     string // "02-single-threaded-blocking", the tangler's name for it
	Title    string
	Servers  []string // modes its Run panel can start, from the front matter
	Scenario string   // the scenario its Run panel plays, from the front matter
	Body     []byte
	meta     map[string]string
}

// Watch is what the chapter tells the reader to watch when its Run panel runs mode: the
// front matter's "watch.MODE", or else its "watch".
func (c *Chapter) Watch(mode string) string {
	if w, ok := c.meta["watch."+mode]; ok {
		return w
	}
	return c.meta["watch"]
}

// Runs says whether the chapter has a Run panel.
func (c *Chapter) Runs() bool { return c.Scenario != "" || len(c.Servers) > 0 }

// Book is the chapters as they are on disk right now. The site reads it again for every
// request, so an edited chapter shows on reload; reading a dozen small files costs well
// under a millisecond.
type Book struct {
	Root     string // the repository
	Chapters []*Chapter
}

// Load reads root/chapters.
func Load(root string) (*Book, error) {
	chs, err := tangle.ReadChapters(root)
	if err != nil {
		return nil, err
	}
	b := &Book{Root: root}
	for i, c := range chs {
		b.Chapters = append(b.Chapters, &Chapter{
			Number:   i,
			File:     filepath.Base(c.Path),
			Slug:     c.Slug(),
			Title:    c.Title(),
			Servers:  c.Servers(),
			Scenario: c.Scenario(),
			Body:     c.Body,
			meta:     c.Meta,
		})
	}
	if len(b.Chapters) == 0 {
		return nil, fmt.Errorf("no chapters in %s", filepath.Join(root, "chapters"))
	}
	return b, nil
}

// BySlug finds a chapter by its slug ("" is the first chapter).
func (b *Book) BySlug(slug string) *Chapter {
	if slug == "" {
		return b.Chapters[0]
	}
	for _, c := range b.Chapters {
		if c.Slug == slug {
			return c
		}
	}
	return nil
}

// RecordingsDir holds the recorded sessions the Run panels show before Run.
func (b *Book) RecordingsDir() string { return filepath.Join(b.Root, "chapters", "recordings") }

// RecordingPath is where the recording of scenario on mode lives: SCENARIO-MODE.jsonl in
// RecordingsDir, one event per line, made by make record.
func (b *Book) RecordingPath(scenario, mode string) string {
	return filepath.Join(b.RecordingsDir(), scenario+"-"+mode+".jsonl")
}

// FiguresDir holds the figures chapters link as figures/NAME.svg.
func (b *Book) FiguresDir() string { return filepath.Join(b.Root, "chapters", "figures") }

// ValidName says whether name is a plain file name of the book's own (recordings, figures)
// with the given suffix: lower-case letters, digits and dashes, so that it cannot walk out
// of its directory.
func ValidName(name, suffix string) bool {
	base, ok := strings.CutSuffix(name, suffix)
	return ok && base != "" && strings.Trim(base, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// recording reads a recording into one JSON array (nil if there is none). Every line must be
// a JSON object; json.Marshal also escapes '<', so the array can stand in a <script> element.
func (b *Book) recording(scenario, mode string) ([]byte, error) {
	raw, err := os.ReadFile(b.RecordingPath(scenario, mode))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var events []json.RawMessage
	for i, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !json.Valid([]byte(line)) || !strings.HasPrefix(strings.TrimSpace(line), "{") {
			return nil, fmt.Errorf("recording %s-%s.jsonl, line %d: not a JSON object", scenario, mode, i+1)
		}
		events = append(events, json.RawMessage(line))
	}
	return json.Marshal(events)
}
