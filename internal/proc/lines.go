package proc

import (
	"bytes"
	"sync"
)

// MaxLine bounds a line of a child's output: a program that prints without newlines must
// not grow our memory. The rest of a longer line is dropped, and the cut is marked " …".
const MaxLine = 2048

// lineWriter hands each complete line written to it to a function, without the newline.
type lineWriter struct {
	mu      sync.Mutex
	buf     []byte
	cut     bool // the current line was too long; skip to its end
	forLine func(string)
}

func newLineWriter(forLine func(string)) *lineWriter {
	if forLine == nil {
		forLine = func(string) {}
	}
	return &lineWriter{forLine: forLine}
}

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
		w.end()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) add(p []byte) {
	if w.cut {
		return
	}
	if room := MaxLine - len(w.buf); len(p) > room {
		w.buf = append(w.buf, p[:room]...)
		w.forLine(string(w.buf) + " …")
		w.buf, w.cut = w.buf[:0], true
		return
	}
	w.buf = append(w.buf, p...)
}

// end finishes the current line (a cut one was handed over already).
func (w *lineWriter) end() {
	if !w.cut || len(w.buf) > 0 {
		w.forLine(string(w.buf))
	}
	w.buf, w.cut = w.buf[:0], false
}

// flush hands over a last line that had no newline when the output closed.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.end()
	}
}
