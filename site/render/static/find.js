// Finding the reader's words in the book: which sections hold them, best first, the snippet
// a result shows, and where to mark them. Pure functions of the search index and the query,
// with no page, so that node tests them (site/render/jstest/find.test.js); app.js draws what
// they return. A classic script (the export opened from disk runs no module), so it hands
// its functions over as one global.
"use strict";

globalThis.bookFind = (() => {
  // terms are the query's words, lower case, each once.
  const terms = (query) => [...new Set(String(query || "").toLowerCase().split(/\s+/).filter(Boolean))];

  // count is how often term occurs in hay (both lower case), without overlaps.
  const count = (hay, term) => {
    let n = 0;
    for (let at = hay.indexOf(term); at >= 0; at = hay.indexOf(term, at + term.length)) n++;
    return n;
  };

  // Slack added to a section's length when its density is computed: without it a one-line
  // section that names a term once would outrank the paragraph that is about it.
  const slack = 20;

  // rank is every section of index that holds every term (in its heading, its text, or its
  // chapter's title), best first: the sections whose heading names more of the terms (a
  // chapter's lead section is headed by the chapter's title), then the denser in the terms
  // (occurrences per word), then book order. Nothing is dropped.
  function rank(index, query) {
    const words = terms(query);
    if (!words.length) return [];
    const hits = [];
    index.forEach((entry, order) => {
      const title = entry.chapter.toLowerCase();
      const heading = entry.id ? entry.heading.toLowerCase() : title;
      const text = entry.text.toLowerCase();
      let named = 0;
      let occurrences = 0;
      for (const w of words) {
        const inHeading = heading.includes(w);
        const n = count(text, w);
        if (!inHeading && n === 0 && !title.includes(w)) return;
        if (inHeading) named++;
        occurrences += n;
      }
      const length = text ? text.split(" ").length : 0; // the index's text has single spaces
      hits.push({ entry, named, density: occurrences / (length + slack), order });
    });
    hits.sort((a, b) => b.named - a.named || b.density - a.density || a.order - b.order);
    return hits.map((h) => h.entry);
  }

  // marks are where the terms occur in text: [start, end) ranges in order, overlaps joined.
  function marks(text, words) {
    const lower = text.toLowerCase();
    const found = [];
    for (const w of words) {
      for (let at = lower.indexOf(w); at >= 0; at = lower.indexOf(w, at + w.length)) found.push([at, at + w.length]);
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const out = [];
    for (const [s, e] of found) {
      const last = out[out.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else out.push([s, e]);
    }
    return out;
  }

  // snippet is about width characters of text where its hits cluster most, cut at word
  // boundaries: { text, before, after } (before and after: text was cut there).
  function snippet(text, words, width = 170) {
    const hits = marks(text, words);
    let from = 0;
    let best = 0;
    for (let i = 0; i < hits.length; i++) {
      let n = 0;
      while (i + n < hits.length && hits[i + n][1] <= hits[i][0] + width - 40) n++;
      if (n > best) { best = n; from = hits[i][0]; }
    }
    // A little context before the first hit, then back to the start of a word.
    let start = Math.max(0, from - 40);
    if (start > 0) start = text.lastIndexOf(" ", start) + 1;
    let end = Math.min(text.length, start + width);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > start) end = space;
    }
    return { text: text.slice(start, end), before: start > 0, after: end < text.length };
  }

  return { terms, rank, marks, snippet };
})();
