package render

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
)

//go:embed templates static
var assets embed.FS

// Static is the page's CSS and JavaScript: the site serves them, the export copies them.
func Static() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

var pageTemplate = template.Must(template.New("page.html").ParseFS(assets, "templates/page.html"))

// A Layout says where pages are. The live site serves a chapter at its slug ("/" for the
// first), the export writes it to a file ("index.html" for the first). Every page sits at the
// top of the site and every link is relative, so both work under any path prefix.
type Layout struct {
	Ext string // "" on the live site, ".html" in the export
	// Bundled: the Run panel's modules are joined into one classic script, static/run.js,
	// which a page opened from disk may run (the export), rather than loaded as modules.
	Bundled bool
}

// The two layouts.
var (
	Live   = Layout{}
	Export = Layout{Ext: ".html", Bundled: true}
)

// Href is the relative link to chapter c.
func (l Layout) Href(c *Chapter) string {
	if c.Number == 0 {
		if l.Ext == "" {
			return "./"
		}
		return "index" + l.Ext
	}
	return c.Slug + l.Ext
}

// BookHref is the relative link to the whole book on one page.
func (l Layout) BookHref() string { return "book" + l.Ext }

// links maps each chapter's file name to its link, for links between chapters.
func (l Layout) links(b *Book) map[string]string {
	m := make(map[string]string, len(b.Chapters))
	for _, c := range b.Chapters {
		m[c.File] = l.Href(c)
	}
	return m
}

// pageData is what page.html draws.
type pageData struct {
	Layout
	Book     *Book
	Chapter  *Chapter // nil on the not-found page
	Prev     *Chapter
	Next     *Chapter
	Rendered renderedChapter
	Panel    *Panel         // nil when the chapter runs nothing
	Whole    []wholeChapter // the whole book's page: every chapter, in order
}

// A wholeChapter is one chapter on the whole book's page.
type wholeChapter struct {
	*Chapter
	Rendered renderedChapter
	Panel    *Panel // drawn as a figure of its first mode's recording; nil: none
}

// WholeBook draws every chapter on one page, for printing or saving as PDF: no Run panels
// (a printed page runs nothing) but a figure of each one's recorded session, and every
// heading's ID and every link between chapters made unique on the page by its chapter's slug.
func (b *Book) WholeBook(w io.Writer, l Layout) error {
	links := make(map[string]string, len(b.Chapters))
	for _, c := range b.Chapters {
		links[c.File] = "#" + c.Slug
	}
	data := pageData{Layout: l, Book: b}
	for _, c := range b.Chapters {
		rendered, err := renderChapter(c.Body, c.Title, links, c.Slug+idSep)
		if err != nil {
			return fmt.Errorf("%s: %w", c.File, err)
		}
		data.Whole = append(data.Whole, wholeChapter{c, rendered, b.Panel(c)})
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// Page draws chapter c (nil: a page saying there is no such chapter) with its Run panel
// (nil: none). It renders into a buffer first, so an error leaves w untouched.
func (b *Book) Page(w io.Writer, l Layout, c *Chapter, panel *Panel) error {
	data := pageData{Layout: l, Book: b, Chapter: c, Panel: panel}
	if c != nil {
		rendered, err := renderChapter(c.Body, c.Title, l.links(b), "")
		if err != nil {
			return err
		}
		data.Rendered = rendered
		if c.Number > 0 {
			data.Prev = b.Chapters[c.Number-1]
		}
		if c.Number+1 < len(b.Chapters) {
			data.Next = b.Chapters[c.Number+1]
		}
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}
