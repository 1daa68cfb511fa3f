package tangle

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Chapter is one Markdown file of the book.
type Chapter struct {
	Path     string            // slash-separated, relative to the book's root: "chapters/02-x.md"
	Meta     map[string]string // the front matter
	Body     []byte            // the Markdown after the front matter
	BodyLine int               // the line of the chapter file where Body starts (1-based)
}

// Title is the chapter's title from its front matter.
func (c *Chapter) Title() string { return c.Meta["title"] }

// Servers lists the modes (binaries in bin/) the chapter builds or runs.
func (c *Chapter) Servers() []string { return strings.Fields(c.Meta["servers"]) }

// Scenario names what the chapter's Run button plays; "" when it has none.
func (c *Chapter) Scenario() string { return c.Meta["scenario"] }

// Slug is the file name without its extension: "02-single-threaded-blocking".
func (c *Chapter) Slug() string { return strings.TrimSuffix(filepath.Base(c.Path), ".md") }

// ReadChapters reads root/chapters/*.md in book order.
func ReadChapters(root string) ([]*Chapter, error) {
	paths, err := filepath.Glob(filepath.Join(root, "chapters", "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var chapters []*Chapter
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ch, err := ParseChapter("chapters/"+filepath.Base(p), src)
		if err != nil {
			return nil, err
		}
		chapters = append(chapters, ch)
	}
	return chapters, nil
}

// ParseChapter splits a chapter's front matter from its body. The front matter is
// optional; when present it opens the file with a "---" line and is closed by the
// next one, and holds "key: value" lines.
func ParseChapter(path string, src []byte) (*Chapter, error) {
	ch := &Chapter{Path: path, Meta: map[string]string{}, Body: src, BodyLine: 1}
	if !bytes.HasPrefix(src, []byte("---\n")) {
		return ch, nil
	}
	lines := strings.SplitAfter(string(src), "\n")
	offset := len(lines[0])
	for i := 1; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		offset += len(lines[i])
		if line == "---" {
			ch.Body = src[offset:]
			ch.BodyLine = i + 2
			return ch, nil
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, &Error{Pos{path, i + 1, 1}, fmt.Sprintf("front matter: want key: value, got %q", line)}
		}
		if _, dup := ch.Meta[key]; dup {
			return nil, &Error{Pos{path, i + 1, 1}, fmt.Sprintf("front matter: %s given twice", key)}
		}
		value = strings.TrimSpace(value)
		if unquoted, err := strconv.Unquote(value); err == nil && strings.HasPrefix(value, `"`) {
			value = unquoted // YAML's quoted form, for values holding a colon
		}
		ch.Meta[key] = value
	}
	return nil, &Error{Pos{path, 1, 1}, "front matter: no closing --- line"}
}

// Pos is a place in a chapter.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a mistake in the book, reported where the reader would fix it.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every mistake found in one pass, in book order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
