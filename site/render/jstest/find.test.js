// Search's ranking, snippets and marks (static/find.js) on a tiny index whose expected
// order is written here by hand: node --test site/render/jstest

import { test } from "node:test";
import assert from "node:assert/strict";

import "../static/find.js"; // a classic script: it sets globalThis.bookFind
const { terms, rank, marks, snippet } = globalThis.bookFind;

const filler = (n) => Array.from({ length: n }, (_, i) => "word" + i).join(" ");

// Book order: a, b, c, d, e, f.
const index = [
  { chapter: "Introduction", url: "./", heading: "", id: "", text: "We build one server many times. " + filler(60) + " epoll comes later." },
  { chapter: "Blocking IO", url: "blocking", heading: "Accepting", id: "accepting", text: "accept blocks until a client connects. " + filler(30) },
  { chapter: "Event loop", url: "loop", heading: "", id: "", text: "One thread waits on many sockets. " + filler(40) },
  { chapter: "Event loop", url: "loop", heading: "Waiting with epoll", id: "waiting-with-epoll", text: "The loop asks the kernel which descriptors are ready. " + filler(80) },
  { chapter: "Event loop", url: "loop", heading: "Edge and level", id: "edge-and-level", text: "epoll reports readiness; epoll_wait returns ready descriptors; epoll again. " + filler(20) },
  { chapter: "Appendix", url: "appendix", heading: "Tests", id: "tests", text: "A long section that names epoll once among many words. " + filler(300) },
];
const order = (q) => rank(index, q).map((e) => e.heading || e.chapter);

test("terms: lower case, each once", () => {
  assert.deepEqual(terms("  Epoll  EPOLL accept "), ["epoll", "accept"]);
  assert.deepEqual(terms(""), []);
});

test("a heading hit comes before body hits, which come densest first, and none is dropped", () => {
  // "Waiting with epoll" names it in its heading (and its text holds it not at all);
  // then by density: Edge and level (3 in ~30 words), Introduction (1 in ~70), Tests (1 in ~310).
  assert.deepEqual(order("epoll"), ["Waiting with epoll", "Edge and level", "Introduction", "Tests"]);
});

test("a chapter's lead section is headed by the chapter's title", () => {
  // "loop" is in the Event loop chapter's title: its lead ranks first, then its other
  // sections (they match through the title) by density of "loop" in their text.
  assert.deepEqual(order("loop"), ["Event loop", "Waiting with epoll", "Edge and level"]);
});

test("every term must be found; a heading naming more of them ranks higher", () => {
  assert.deepEqual(order("epoll ready"), ["Waiting with epoll", "Edge and level"]);
  assert.deepEqual(order("accept blocks"), ["Accepting"]);
  assert.deepEqual(order("nothing-like-this"), []);
});

test("ties keep book order", () => {
  const same = [
    { chapter: "A", heading: "x", id: "x", text: "one two" },
    { chapter: "B", heading: "y", id: "y", text: "one two" },
  ];
  assert.deepEqual(rank(same, "one").map((e) => e.chapter), ["A", "B"]);
});

test("marks: every occurrence, overlapping terms joined", () => {
  assert.deepEqual(marks("Epoll and epoll_wait", ["epoll"]), [[0, 5], [10, 15]]);
  assert.deepEqual(marks("epoll", ["poll", "epoll"]), [[0, 5]]);
  assert.deepEqual(marks("nothing", ["x"]), []);
});

test("snippet: starts and ends at a word, around the hits", () => {
  const text = filler(50) + " here the kernel says epoll is ready " + filler(50);
  const s = snippet(text, ["epoll"]);
  assert.ok(s.before && s.after, "cut on both sides");
  assert.ok(s.text.includes("epoll"), s.text);
  assert.match(s.text, /^word\d+ /, "starts at a whole word: " + s.text);
  assert.ok(text.includes(" " + s.text + " "), "ends at a whole word: " + s.text);
  assert.ok(s.text.length <= 170);
  // Mid-word cuts are what the old snippet made: the start must never be inside a word.
  for (let width = 60; width < 200; width += 7) {
    const t = snippet(text, ["epoll"], width);
    assert.equal(text[text.indexOf(t.text) - 1], " ", "width " + width + ": " + t.text);
  }
});

test("snippet: the densest cluster of hits, not the first", () => {
  const text = "epoll once. " + filler(80) + " epoll epoll epoll here " + filler(80);
  const s = snippet(text, ["epoll"]);
  assert.equal(marks(s.text, ["epoll"]).length, 3, s.text);
});

test("snippet: a short text whole", () => {
  assert.deepEqual(snippet("short text", ["short"]), { text: "short text", before: false, after: false });
});
