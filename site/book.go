package main

import (
	"fmt"
	"path/filepath"

	"flavors/tools/tangle"
)

// A chapter as the site sees it: where it lives on the site and what it runs.
type chapter struct {
	Number   int    // position in the book, from 0
	File     string // base name, e.g. "02-single-threaded-blocking.md"
	Slug     string // "02-single-threaded-blocking", the tangler's name for it
	URL      string // "/02-single-threaded-blocking" ("/" for the first chapter)
	Title    string
	Servers  []string // modes its Run panel can start, from the front matter
	Scenario string   // the scenario its Run panel plays, from the front matter
	Body     []byte
}

// book is the chapters as they are on disk right now. It is read again for every request, so
// an edited chapter shows on reload; reading eleven small files costs well under a millisecond.
type book struct {
	Chapters []*chapter
}

// loadBook reads root/chapters.
func loadBook(root string) (*book, error) {
	chs, err := tangle.ReadChapters(root)
	if err != nil {
		return nil, err
	}
	b := &book{}
	for i, c := range chs {
		file := filepath.Base(c.Path)
		slug := c.Slug()
		url := "/" + slug
		if i == 0 {
			url = "/"
		}
		b.Chapters = append(b.Chapters, &chapter{
			Number:   i,
			File:     file,
			Slug:     slug,
			URL:      url,
			Title:    c.Title(),
			Servers:  c.Servers(),
			Scenario: c.Scenario(),
			Body:     c.Body,
		})
	}
	if len(b.Chapters) == 0 {
		return nil, fmt.Errorf("no chapters in %s", filepath.Join(root, "chapters"))
	}
	return b, nil
}

// bySlug finds a chapter by its URL's path ("" is the first chapter).
func (b *book) bySlug(slug string) *chapter {
	if slug == "" {
		return b.Chapters[0]
	}
	for _, c := range b.Chapters {
		if c.Slug == slug {
			return c
		}
	}
	return nil
}

// links maps each chapter's file name to its URL, for links between chapters.
func (b *book) links() map[string]string {
	m := make(map[string]string, len(b.Chapters))
	for _, c := range b.Chapters {
		m[c.File] = c.URL
	}
	return m
}

// modes is every server the book builds, in book order, without repeats.
func (b *book) modes() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range b.Chapters {
		for _, m := range c.Servers {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}
