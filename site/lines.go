package main

import (
	"bytes"
	"sync"
)

// maxLine bounds a line of a child's output: a server that prints without newlines must not
// grow the site's memory.
const maxLine = 2048

// lineWriter hands each complete line written to it to a function (without the newline).
// A line longer than maxLine is cut, the rest of it dropped.
type lineWriter struct {
	mu      sync.Mutex
	buf     []byte
	cut     bool // the current line was too long; skip to its end
	forLine func(string)
}

func newLineWriter(forLine func(string)) *lineWriter { return &lineWriter{forLine: forLine} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.add(p)
			break
		}
		w.add(p[:i])
		if !w.cut || len(w.buf) > 0 {
			w.forLine(string(w.buf))
		}
		w.buf, w.cut, p = w.buf[:0], false, p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) add(p []byte) {
	if w.cut {
		return
	}
	if room := maxLine - len(w.buf); len(p) > room {
		w.buf = append(w.buf, p[:room]...)
		w.forLine(string(w.buf) + " …")
		w.buf, w.cut = w.buf[:0], true
		return
	}
	w.buf = append(w.buf, p...)
}
