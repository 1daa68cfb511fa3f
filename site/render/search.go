package render

import "encoding/json"

// A SearchEntry is one section of the book in the search index, in book order.
type SearchEntry struct {
	Chapter string `json:"chapter"`
	URL     string `json:"url"`
	searchSection
}

// SearchIndex is the whole book's text cut into sections; the page searches it.
func (b *Book) SearchIndex(l Layout) []SearchEntry {
	entries := []SearchEntry{}
	for _, c := range b.Chapters {
		for _, sec := range chapterSections(c.Body, c.Title) {
			entries = append(entries, SearchEntry{Chapter: c.Title, URL: l.Href(c), searchSection: sec})
		}
	}
	return entries
}

// SearchPrefix starts search.js, the index as a script: a page loads it with a <script>
// element when the reader first searches, which works even where fetch does not (a page
// opened from disk).
const SearchPrefix = "window.searchIndex = "

// SearchScript is search.js.
func (b *Book) SearchScript(l Layout) ([]byte, error) {
	index, err := json.Marshal(b.SearchIndex(l))
	if err != nil {
		return nil, err
	}
	return append(append([]byte(SearchPrefix), index...), ";\n"...), nil
}
