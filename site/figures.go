package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// handleFigure serves chapters/figures/NAME.svg: the plots `make bench` draws for the c10k
// chapter, which links them as figures/NAME.svg. Only plain names are accepted, so a request
// cannot walk out of that directory.
func (s *site) handleFigure(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	base, ok := strings.CutSuffix(name, ".svg")
	if !ok || base == "" || strings.Trim(base, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
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
