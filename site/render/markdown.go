package render

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"

	"flavors/tools/tangle"
)

// A chapter says where its Run panel goes with a line "<!-- run -->"; without one, the panel
// goes before the chapter's first section (h2), so a reader meets it after the lead. Raw HTML
// is otherwise dropped, so a chapter cannot produce the slot's HTML marker by accident.
const (
	runSlotMarkdown = "<!-- run -->"
	runSlotHTML     = "<!--run-panel-->"
)

// runSlot is the node that stands where the Run panel goes.
type runSlot struct{ ast.BaseBlock }

var kindRunSlot = ast.NewNodeKind("RunSlot")

func (n *runSlot) Kind() ast.NodeKind         { return kindRunSlot }
func (n *runSlot) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

// A heading is an entry of the chapter's table of contents and a section of the search index.
type heading struct {
	Level int
	ID    string
	Text  string
}

// renderedChapter is a chapter turned into HTML, with what the sidebar and search need.
type renderedChapter struct {
	Before   template.HTML // the chapter up to its Run panel's slot
	After    template.HTML // the rest
	Headings []heading
}

// A searchSection is the text under one heading (or the chapter's lead, with an empty ID).
type searchSection struct {
	Heading string `json:"heading"`
	ID      string `json:"id"`
	Text    string `json:"text"`
}

// markdown is the one goldmark configuration of the book: GFM, heading IDs, and code
// highlighted on the server by chroma with CSS classes (the palette lives in style.css, so
// light and dark themes are plain CSS variables). Nothing it writes carries a style
// attribute, which the page's policy (style-src 'self') would refuse: table cells are
// aligned with the align attribute. It is safe for concurrent use.
var markdown = newMarkdown()

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.Linkify,
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.TaskList,
			highlighting.NewHighlighting(
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
				highlighting.WithWrapperRenderer(codeBlockWrapper),
			),
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(bookTransformer{}, 100)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(bookRenderer{}, 100)),
		),
	)
}

// renderChapter converts one chapter body. links maps a chapter's file name to its link so
// that [text](03-multi-threaded-blocking.md) works both on GitHub and on the site. idPrefix
// goes in front of every heading's ID and every link to one: on the whole book's page, each
// chapter's sections need names of their own ("SLUG--tests"; the chapter itself is "SLUG").
func renderChapter(body []byte, title string, links map[string]string, idPrefix string) (renderedChapter, error) {
	doc := parseChapter(body, title, links, idPrefix)

	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, body, doc); err != nil {
		return renderedChapter{}, err
	}
	out := renderedChapter{Headings: headings(doc, body)}
	before, after, _ := strings.Cut(buf.String(), runSlotHTML)
	out.Before, out.After = template.HTML(before), template.HTML(after)
	return out, nil
}

// chapterSections is the chapter's text for search: parsed, never rendered (highlighting
// is most of the cost of a page, and search needs none of it).
func chapterSections(body []byte, title string) []searchSection {
	return sections(parseChapter(body, title, nil, ""), body)
}

func parseChapter(body []byte, title string, links map[string]string, idPrefix string) ast.Node {
	ctx := parser.NewContext()
	ctx.Set(linksKey, links)
	ctx.Set(idPrefixKey, idPrefix)
	doc := markdown.Parser().Parse(text.NewReader(body), parser.WithContext(ctx))
	dropTitleHeading(doc, body, title)
	return doc
}

var (
	linksKey    = parser.NewContextKey()
	idPrefixKey = parser.NewContextKey()
)

// idSep joins a chapter's slug and a heading's ID on the whole book's page.
const idSep = "--"

// dropTitleHeading removes a leading "# Title" that repeats the front matter's title: the
// page prints the title itself.
func dropTitleHeading(doc ast.Node, src []byte, title string) {
	h, ok := doc.FirstChild().(*ast.Heading)
	if ok && h.Level == 1 && strings.EqualFold(plainText(h, src), title) {
		doc.RemoveChild(doc, h)
	}
}

// bookTransformer labels code blocks with what they tangle into, points links to other
// chapters at the site's pages, and places the Run panel's slot.
type bookTransformer struct{}

func (bookTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	src := reader.Source()
	links, _ := pc.Get(linksKey).(map[string]string)
	prefix, _ := pc.Get(idPrefixKey).(string)
	placeRunSlot(doc, src)
	var unwritten []*ast.Link
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock:
			labelCodeBlock(n, src)
		case *ast.Heading:
			if id := headingID(n); id != "" && prefix != "" {
				n.SetAttributeString("id", []byte(prefix+id))
			}
		case *ast.Link:
			if prefix != "" && len(n.Destination) > 1 && n.Destination[0] == '#' {
				n.Destination = []byte("#" + prefix + string(n.Destination[1:]))
				break
			}
			dest, ok := chapterLink(n.Destination, links)
			if !ok && links != nil {
				unwritten = append(unwritten, n)
			}
			n.Destination = dest
		}
		return ast.WalkContinue, nil
	})
	for _, l := range unwritten {
		unlink(l)
	}
}

// unlink replaces a link by its text: a chapter may point ahead to one not written yet,
// and a reader should meet its name, not a page that does not exist.
func unlink(l *ast.Link) {
	parent := l.Parent()
	for c := l.FirstChild(); c != nil; c = l.FirstChild() {
		l.RemoveChild(l, c)
		parent.InsertBefore(parent, l, c)
	}
	parent.RemoveChild(parent, l)
}

// placeRunSlot puts the slot where the chapter's marker is, or else before the first h2, or
// else at the end.
func placeRunSlot(doc *ast.Document, src []byte) {
	var firstH2 ast.Node
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if isRunMarker(n, src) {
			doc.ReplaceChild(doc, n, &runSlot{})
			return
		}
		if h, ok := n.(*ast.Heading); ok && h.Level == 2 && firstH2 == nil {
			firstH2 = n
		}
	}
	if firstH2 != nil {
		doc.InsertBefore(doc, firstH2, &runSlot{})
		return
	}
	doc.AppendChild(doc, &runSlot{})
}

func isRunMarker(n ast.Node, src []byte) bool {
	if _, ok := n.(*ast.HTMLBlock); !ok {
		return false
	}
	return strings.TrimSpace(string(n.Lines().Value(src))) == runSlotMarkdown
}

// Attribute names on a code block node, read back by codeBlockWrapper.
const (
	attrLabel = "data-label" // what the block is: a file, a chunk, or display only
	attrKind  = "data-kind"  // file | chunk | display
	attrFold  = "data-fold"  // present on a block shown folded: the summary's text
)

func labelCodeBlock(n *ast.FencedCodeBlock, src []byte) {
	info := ""
	if n.Info != nil {
		info = string(n.Info.Segment.Value(src))
	}
	a, err := tangle.ParseInfo(info)
	switch {
	case err != nil:
		n.SetAttributeString(attrKind, "error")
		n.SetAttributeString(attrLabel, "bad info string: "+err.Error())
	case a.File != "":
		n.SetAttributeString(attrKind, "file")
		n.SetAttributeString(attrLabel, a.Target()+appendSuffix(a.Append))
		if strings.HasSuffix(a.File, "_test.go") {
			n.SetAttributeString(attrFold, testSummary(string(n.Lines().Value(src))))
		}
	case a.Chunk != "":
		n.SetAttributeString(attrKind, "chunk")
		n.SetAttributeString(attrLabel, a.Target()+appendSuffix(a.Append))
	default:
		n.SetAttributeString(attrKind, "display")
		n.SetAttributeString(attrLabel, a.Lang)
	}
}

// testFunc finds the functions go test runs.
var testFunc = regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz|Example)\w*)\(`)

// testSummary says in one line what a block of test code holds, so a reader can pass it by:
// the tests it defines, else its first comment line, else what it opens with.
func testSummary(code string) string {
	var names []string
	for _, m := range testFunc.FindAllStringSubmatch(code, -1) {
		names = append(names, m[1])
	}
	if len(names) > 0 {
		return strings.Join(names, ", ")
	}
	for _, line := range strings.Split(code, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "//"); ok && strings.TrimSpace(c) != "" {
			return strings.TrimSpace(c)
		}
	}
	if strings.HasPrefix(strings.TrimSpace(code), "package ") {
		return "the test file's package and imports"
	}
	return "test helpers"
}

func appendSuffix(appends bool) string {
	if appends {
		return " +="
	}
	return ""
}

// chapterLink rewrites a relative link to a chapter file (with an optional #fragment) to the
// chapter's page. Any other destination is left alone. It reports false for a link to a
// Markdown file that is no chapter of the book.
func chapterLink(dest []byte, links map[string]string) ([]byte, bool) {
	u, err := url.Parse(string(dest))
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasSuffix(u.Path, ".md") {
		return dest, true
	}
	page, ok := links[path.Base(u.Path)]
	if !ok {
		return dest, false
	}
	switch {
	case u.Fragment == "":
	case strings.HasPrefix(page, "#"): // a chapter on the whole book's page
		page += idSep + u.Fragment
	default:
		page += "#" + u.Fragment
	}
	return []byte(page), true
}

// codeBlockWrapper draws the frame around a highlighted block: a caption naming the file or
// chunk it tangles into, and a copy button (wired up by app.js). Test code comes folded, a
// <details> whose summary says what it tests: every line stays in the book, and the
// browser's find-in-page and the book's search (app.js) open it when a hit is inside.
func codeBlockWrapper(w util.BufWriter, c highlighting.CodeBlockContext, entering bool) {
	kind, label, fold := "display", "", ""
	if a := c.Attributes(); a != nil {
		kind, label, fold = attrString(a, attrKind), attrString(a, attrLabel), attrString(a, attrFold)
	}
	if !entering {
		if !c.Highlighted() {
			_, _ = w.WriteString("</code></pre>")
		}
		_, _ = w.WriteString("</figure>\n")
		if fold != "" {
			_, _ = w.WriteString("</details>\n")
		}
		return
	}
	if fold != "" {
		fmt.Fprintf(w, `<details class="code-fold"><summary><span class="fold-kind">test</span> %s</summary>`,
			template.HTMLEscapeString(fold))
	}
	fmt.Fprintf(w, `<figure class="code code-%s"><figcaption><span class="code-label">%s</span>`+
		`<button type="button" class="copy" aria-label="Copy this code">Copy</button></figcaption>`,
		template.HTMLEscapeString(kind), template.HTMLEscapeString(label))
	if !c.Highlighted() {
		_, _ = w.WriteString(`<pre class="chroma"><code>`)
	}
}

func attrString(a highlighting.ImmutableAttributes, name string) string {
	v, _ := a.Get([]byte(name))
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}

// bookRenderer renders headings with a link to themselves, drops raw HTML, and marks the
// Run panel's slot.
type bookRenderer struct{}

func (bookRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
	reg.Register(ast.KindHTMLBlock, dropNode)
	reg.Register(ast.KindRawHTML, dropNode)
	reg.Register(kindRunSlot, renderRunSlot)
}

func renderHeading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	id := headingID(n)
	if entering {
		fmt.Fprintf(w, "<h%d", n.Level)
		if n.Attributes() != nil {
			html.RenderAttributes(w, n, html.HeadingAttributeFilter)
		}
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if id != "" {
		fmt.Fprintf(w, ` <a class="anchor" href="#%s" aria-label="Link to this section">#</a>`,
			template.HTMLEscapeString(id))
	}
	fmt.Fprintf(w, "</h%d>\n", n.Level)
	return ast.WalkContinue, nil
}

// dropNode drops raw HTML: the book is Markdown, and the page stays ours.
func dropNode(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	return ast.WalkSkipChildren, nil
}

func renderRunSlot(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(runSlotHTML)
	}
	return ast.WalkContinue, nil
}

func headingID(n *ast.Heading) string {
	v, ok := n.AttributeString("id")
	if !ok {
		return ""
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return ""
}

// headings lists the chapter's h2 and h3 for the sidebar.
func headings(doc ast.Node, src []byte) []heading {
	var out []heading
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && (h.Level == 2 || h.Level == 3) {
			out = append(out, heading{Level: h.Level, ID: headingID(h), Text: plainText(h, src)})
		}
	}
	return out
}

// sections cuts the chapter's text at its headings, for search. Code is included: a reader
// searching for EPOLLRDHUP wants the block that uses it.
func sections(doc ast.Node, src []byte) []searchSection {
	cur := &searchSection{}
	out := []*searchSection{cur}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			cur = &searchSection{Heading: plainText(h, src), ID: headingID(h)}
			out = append(out, cur)
			continue
		}
		if t := strings.Join(strings.Fields(blockText(n, src)), " "); t != "" {
			cur.Text = strings.TrimSpace(cur.Text + " " + t)
		}
	}
	var list []searchSection
	for _, s := range out {
		if s.Heading != "" || s.Text != "" {
			list = append(list, *s)
		}
	}
	return list
}

// blockText is the readable text of a block: inline text and code lines.
func blockText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Segment.Value(src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			b.Write(n.Lines().Value(src))
			return ast.WalkSkipChildren, nil
		}
		if n.Type() == ast.TypeBlock {
			b.WriteByte(' ')
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// plainText is a heading's text without markup.
func plainText(n ast.Node, src []byte) string {
	return strings.Join(strings.Fields(blockText(n, src)), " ")
}
