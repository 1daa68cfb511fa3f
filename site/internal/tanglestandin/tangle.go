// Package tanglestandin is a TEMPORARY stand-in for flavors/tools/tangle, which lands on main
// soon. It mirrors the part of that package's API the site uses, so switching is a change of
// import path. Delete this package once main is merged: the concepts live in tools/tangle.
package tanglestandin

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Chapter is one Markdown file of the book.
type Chapter struct {
	Path     string
	Meta     Meta
	Body     []byte
	BodyLine int
}

// Meta is the chapter's front matter.
type Meta map[string]string

func (m Meta) Title() string     { return m["title"] }
func (m Meta) Scenario() string  { return m["scenario"] }
func (m Meta) Servers() []string { return strings.Fields(m["servers"]) }

// ReadChapters reads dir/*.md in book order.
func ReadChapters(dir string) ([]*Chapter, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Chapter
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c := &Chapter{Path: p, Meta: Meta{}, Body: src, BodyLine: 1}
		if bytes.HasPrefix(src, []byte("---\n")) {
			sc := bufio.NewScanner(bytes.NewReader(src[4:]))
			line, off := 1, 4
			for sc.Scan() {
				line++
				off += len(sc.Bytes()) + 1
				if sc.Text() == "---" {
					c.Body, c.BodyLine = src[off:], line+1
					break
				}
				k, v, ok := strings.Cut(sc.Text(), ":")
				if !ok {
					return nil, fmt.Errorf("%s:%d: bad front matter", p, line)
				}
				c.Meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Attrs is what a code block's info string says.
type Attrs struct {
	Lang, File, Chunk string
	Append            bool
}

// ParseInfo parses a fenced code block's info string.
func ParseInfo(info string) (Attrs, error) {
	f := strings.Fields(info)
	var a Attrs
	if len(f) == 0 {
		return a, nil
	}
	a.Lang = f[0]
	for _, w := range f[1:] {
		switch {
		case strings.HasPrefix(w, "file="):
			a.File = strings.TrimPrefix(w, "file=")
		case strings.HasPrefix(w, "chunk="):
			a.Chunk = strings.TrimPrefix(w, "chunk=")
		case w == "append":
			a.Append = true
		default:
			return a, fmt.Errorf("unknown attribute %q", w)
		}
	}
	return a, nil
}

// Annotate points a line of tool output that names a tangled file (code/...go:LINE) at the
// chapter line that wrote it. The stand-in leaves the line as it is.
func Annotate(root, line string) string { return line }
