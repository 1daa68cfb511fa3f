package main

import (
	"bytes"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"flavors/site/render"
)

// handlePage serves a chapter: "/" is the first, "/SLUG" the others.
func (s *site) handlePage(w http.ResponseWriter, r *http.Request) {
	b, err := render.Load(s.root)
	if err != nil {
		http.Error(w, "cannot read the book: "+err.Error(), http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	c := b.BySlug(strings.Trim(r.URL.Path, "/"))
	var panel *render.Panel
	if c == nil {
		status = http.StatusNotFound
	} else {
		panel = livePanel(b, c)
	}
	var page bytes.Buffer
	if err := b.Page(&page, render.Live, c, panel); err != nil {
		log.Printf("page %s: %v", r.URL.Path, err)
		http.Error(w, "cannot draw the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = page.WriteTo(w)
}

// handleWholeBook serves every chapter on one page, for printing.
func (s *site) handleWholeBook(w http.ResponseWriter, r *http.Request) {
	b, err := render.Load(s.root)
	if err != nil {
		http.Error(w, "cannot read the book: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var page bytes.Buffer
	if err := b.WholeBook(&page, render.Live); err != nil {
		log.Printf("the whole book: %v", err)
		http.Error(w, "cannot draw the book: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = page.WriteTo(w)
}

// handleSearch serves the search index, as a script the page loads when the reader first
// searches.
func (s *site) handleSearch(w http.ResponseWriter, r *http.Request) {
	b, err := render.Load(s.root)
	if err == nil {
		var script []byte
		if script, err = b.SearchScript(render.Live); err == nil {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			_, _ = w.Write(script)
			return
		}
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// handleFigure serves chapters/figures/NAME.svg: the plots `make bench` draws for the c10k
// chapter, which links them as figures/NAME.svg. Only plain names are accepted, so a request
// cannot walk out of that directory.
func (s *site) handleFigure(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !render.ValidName(name, ".svg") {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(filepath.Join(s.root, "chapters", "figures", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	// An SVG may carry script; opened on its own from our origin, it gets to run none.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}
