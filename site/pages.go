package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

//go:embed templates static
var assets embed.FS

var pageTemplate = template.Must(template.New("page.html").ParseFS(assets, "templates/page.html"))

// pageData is what page.html draws.
type pageData struct {
	Book     *book
	Chapter  *chapter
	Prev     *chapter
	Next     *chapter
	Rendered renderedChapter
	Panel    *panelData // nil when the chapter runs nothing
}

// handlePage serves a chapter: "/" is the first, "/SLUG" the others.
func (s *site) handlePage(w http.ResponseWriter, r *http.Request) {
	b, err := loadBook(s.root)
	if err != nil {
		http.Error(w, "cannot read the book: "+err.Error(), http.StatusInternalServerError)
		return
	}
	c := b.bySlug(strings.Trim(r.URL.Path, "/"))
	if c == nil {
		s.notFound(w, b)
		return
	}
	rendered, err := renderChapter(s.md, c.Body, c.Title, b.links())
	if err != nil {
		http.Error(w, "cannot render "+c.File+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	data := pageData{Book: b, Chapter: c, Rendered: rendered, Panel: s.panelFor(b, c)}
	if c.Number > 0 {
		data.Prev = b.Chapters[c.Number-1]
	}
	if c.Number+1 < len(b.Chapters) {
		data.Next = b.Chapters[c.Number+1]
	}
	s.writePage(w, http.StatusOK, data)
}

func (s *site) notFound(w http.ResponseWriter, b *book) {
	s.writePage(w, http.StatusNotFound, pageData{Book: b})
}

// writePage renders into a buffer first, so a template error is a clean 500, not half a page.
func (s *site) writePage(w http.ResponseWriter, status int, data pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		log.Printf("page: %v", err)
		http.Error(w, "cannot draw the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// searchEntry is one section of the book in /search.json, in book order.
type searchEntry struct {
	Chapter string `json:"chapter"`
	URL     string `json:"url"`
	searchSection
}

// handleSearch serves the whole book's text cut into sections; the page searches it.
func (s *site) handleSearch(w http.ResponseWriter, r *http.Request) {
	b, err := loadBook(s.root)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	entries := []searchEntry{}
	for _, c := range b.Chapters {
		for _, sec := range chapterSections(s.md, c.Body, c.Title) {
			entries = append(entries, searchEntry{Chapter: c.Title, URL: c.URL, searchSection: sec})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(entries)
}

// handleRecording serves chapters/recordings/NAME.jsonl. Only plain file names are accepted,
// so a request cannot walk out of that directory.
func (s *site) handleRecording(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !validRecordingName(name) {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(filepath.Join(s.recordingsDir(), name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}

func validRecordingName(name string) bool {
	base, ok := strings.CutSuffix(name, ".jsonl")
	return ok && base != "" && strings.Trim(base, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// staticFiles are the page's CSS and JavaScript, embedded: the site needs no build step and
// no network.
func staticFiles() http.Handler {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}
