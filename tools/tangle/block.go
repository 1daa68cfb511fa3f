package tangle

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Attrs is what a code block's info string says about it.
type Attrs struct {
	Lang   string // the first word: go, proto, sh, text…
	File   string // the file it starts or appends to, under code/
	Chunk  string // the chunk it defines or appends to
	Append bool
}

// Tangled reports whether the block goes anywhere; a block that does not is only shown.
func (a Attrs) Tangled() bool { return a.File != "" || a.Chunk != "" }

// Target names where the block goes, as a reader would say it.
func (a Attrs) Target() string {
	if a.File != "" {
		return a.File
	}
	if a.Chunk != "" {
		return "<<" + a.Chunk + ">>"
	}
	return ""
}

var chunkName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ParseInfo reads a fenced code block's info string.
func ParseInfo(info string) (Attrs, error) {
	words := strings.Fields(info)
	var a Attrs
	if len(words) == 0 {
		return a, nil
	}
	a.Lang = words[0]
	if strings.Contains(a.Lang, "=") {
		return a, fmt.Errorf("info string %q: the first word must be the language", info)
	}
	for _, w := range words[1:] {
		key, value, hasValue := strings.Cut(w, "=")
		switch {
		case key == "append" && !hasValue:
			a.Append = true
		case key == "file" && hasValue:
			if !insideCode(value) {
				return a, fmt.Errorf("target path %q is outside code/: tangled files live under code/", value)
			}
			a.File = value
		case key == "chunk" && hasValue:
			if !chunkName.MatchString(value) {
				return a, fmt.Errorf("chunk name %q: use letters, digits, '-', '_' and '.'", value)
			}
			a.Chunk = value
		default:
			return a, fmt.Errorf("info string %q: unknown attribute %q (want file=, chunk= or append)", info, w)
		}
	}
	if a.File != "" && a.Chunk != "" {
		return a, fmt.Errorf("info string %q: a block is a file or a chunk, not both", info)
	}
	if a.Append && !a.Tangled() {
		return a, fmt.Errorf("info string %q: append to what? add file= or chunk=", info)
	}
	return a, nil
}

func insideCode(p string) bool {
	return strings.HasPrefix(p, "code/") && path.Clean(p) == p && !strings.Contains(p, "..") && !strings.HasSuffix(p, "/")
}

// Block is one fenced code block of a chapter.
type Block struct {
	Attrs
	Info  Pos    // where the info string is
	Lines []Line // the content, without the fences
}

// Line is one line of a block and where it stands in the chapter.
type Line struct {
	Text string
	Pos  Pos // of the line's first byte
}

// Blocks returns the chapter's fenced code blocks in order, read from goldmark's
// syntax tree so that fences inside lists, quotes and HTML comments are treated as
// Markdown treats them.
func Blocks(ch *Chapter) ([]Block, error) {
	src := ch.Body
	doc := goldmark.DefaultParser().Parse(text.NewReader(src))
	lines := lineStarts(src)
	pos := func(offset int) Pos {
		i := sort.Search(len(lines), func(i int) bool { return lines[i] > offset }) - 1
		return Pos{ch.Path, ch.BodyLine + i, offset - lines[i] + 1}
	}
	var blocks []Block
	var errs Errors
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fence, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		var b Block
		if fence.Info != nil {
			seg := fence.Info.Segment
			b.Info = pos(seg.Start)
			attrs, err := ParseInfo(string(seg.Value(src)))
			if err != nil {
				errs = append(errs, &Error{b.Info, err.Error()})
				return ast.WalkSkipChildren, nil
			}
			b.Attrs = attrs
		} else if fence.Lines().Len() > 0 {
			b.Info = pos(fence.Lines().At(0).Start)
		}
		for i := 0; i < fence.Lines().Len(); i++ {
			seg := fence.Lines().At(i)
			t := strings.Repeat(" ", seg.Padding) + strings.TrimRight(string(seg.Value(src)), "\r\n")
			b.Lines = append(b.Lines, Line{t, pos(seg.Start)})
		}
		blocks = append(blocks, b)
		return ast.WalkSkipChildren, nil
	})
	if len(errs) > 0 {
		return nil, errs
	}
	return blocks, nil
}

// lineStarts returns the offset at which each line of src begins.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
