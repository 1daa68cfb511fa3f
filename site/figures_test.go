package main

import (
	"net/http"
	"strings"
	"testing"
)

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
