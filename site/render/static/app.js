// The reading side of the page: theme switch, chapter menu on phones, reading progress,
// copy buttons, the current section in the sidebar, and search (ranked by find.js). No
// framework, no build.
"use strict";

(function theme() {
  const button = document.querySelector(".theme-toggle");
  if (!button) return;
  const order = ["system", "light", "dark"];
  const label = { system: "follows the system", light: "light", dark: "dark" };
  const current = () => document.documentElement.dataset.theme || "system";
  const show = () => {
    button.setAttribute("aria-label", "Colour theme: " + label[current()] + " (change)");
    button.title = "Colour theme: " + label[current()];
  };
  button.addEventListener("click", () => {
    const next = order[(order.indexOf(current()) + 1) % order.length];
    if (next === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    try {
      if (next === "system") localStorage.removeItem("theme"); else localStorage.setItem("theme", next);
    } catch (e) { /* not remembered, still applied */ }
    show();
    document.dispatchEvent(new CustomEvent("themechange"));
  });
  show();
})();

(function menu() {
  const button = document.querySelector(".menu-toggle");
  const sidebar = document.getElementById("sidebar");
  if (!button || !sidebar) return;
  const set = (open) => {
    sidebar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => {
    const open = !sidebar.classList.contains("open");
    set(open);
    if (open) sidebar.querySelector("a[aria-current]")?.focus();
  });
  sidebar.addEventListener("click", (e) => { if (e.target.closest("a")) set(false); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && sidebar.classList.contains("open")) { set(false); button.focus(); }
  });
})();

(function progress() {
  const bar = document.querySelector(".progress-bar");
  const article = document.querySelector("article.chapter");
  if (!bar || !article) return;
  let queued = false;
  const update = () => {
    queued = false;
    const r = article.getBoundingClientRect();
    const total = r.height - window.innerHeight;
    const done = total <= 0 ? 1 : Math.min(1, Math.max(0, -r.top / total));
    bar.style.transform = "scaleX(" + done + ")";
  };
  const queue = () => { if (!queued) { queued = true; requestAnimationFrame(update); } };
  addEventListener("scroll", queue, { passive: true });
  addEventListener("resize", queue);
  update();
})();

(function copyButtons() {
  document.addEventListener("click", async (e) => {
    const button = e.target.closest("figure.code .copy");
    if (!button) return;
    const code = button.closest("figure").querySelector("pre");
    const text = code ? code.innerText.replace(/\n$/, "") : "";
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (err) { ok = fallbackCopy(text); }
    button.textContent = ok ? "Copied" : "Copy failed";
    if (ok) button.dataset.copied = "";
    setTimeout(() => { button.textContent = "Copy"; delete button.dataset.copied; }, 1600);
  });
  // navigator.clipboard needs a secure context; 127.0.0.1 is one, but a LAN address is not.
  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    area.remove();
    return ok;
  }
})();

(function currentSection() {
  const links = [...document.querySelectorAll(".toc a")];
  if (!links.length || !("IntersectionObserver" in window)) return;
  const byId = new Map(links.map((a) => [decodeURIComponent(a.hash.slice(1)), a]));
  const headings = [...byId.keys()].map((id) => document.getElementById(id)).filter(Boolean);
  const visible = new Set();
  const mark = () => {
    let current = null;
    for (const h of headings) {
      if (h.getBoundingClientRect().top < window.innerHeight * 0.35) current = h;
    }
    for (const a of links) a.classList.toggle("active", current !== null && a === byId.get(current.id));
  };
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) e.isIntersecting ? visible.add(e.target) : visible.delete(e.target);
    mark();
  });
  headings.forEach((h) => io.observe(h));
  addEventListener("scroll", () => requestAnimationFrame(mark), { passive: true });
})();

(function search() {
  const input = document.getElementById("search-input");
  const box = document.getElementById("search-results");
  const count = document.getElementById("search-count");
  const find = window.bookFind;
  if (!input || !box || !find) return;
  const shownFirst = 12; // results listed before the "N more" button
  let index = null;
  let loading = null;
  // The index is a script (search.js, beside the pages) rather than JSON to fetch, so search
  // also works in the export opened from disk, where fetch is not allowed.
  const load = () => loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "search.js";
    script.onload = () => resolve((index = window.searchIndex));
    script.onerror = () => { loading = null; reject(new Error("the search index did not load")); };
    document.head.append(script);
  });

  // What the box shows: every result of the query (ranked by find.js), the first `shown` of
  // them listed, and the one the arrow keys selected (-1: none; shown: the "more" button).
  let results = [];
  let words = [];
  let shown = 0;
  let selected = -1;

  const markText = (parent, text) => {
    let last = 0;
    for (const [s, e] of find.marks(text, words)) {
      parent.append(text.slice(last, s));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(s, e);
      parent.append(mark);
      last = e;
    }
    parent.append(text.slice(last));
  };

  const resultLink = (h) => h.url + "?highlight=" + encodeURIComponent(words.join(" ")) + (h.id ? "#" + h.id : "");

  const draw = () => {
    box.replaceChildren();
    const q = input.value.trim();
    if (!results.length) {
      const p = document.createElement("p");
      p.className = "none";
      p.textContent = "Nothing in the book matches “" + q + "”.";
      box.append(p);
      count.textContent = "No results";
    } else {
      const list = document.createElement("ol");
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Search results, best first");
      results.slice(0, shown).forEach((h, i) => {
        const li = document.createElement("li");
        li.id = "search-result-" + i;
        li.setAttribute("role", "option");
        const a = document.createElement("a");
        a.href = resultLink(h);
        a.tabIndex = -1; // the arrow keys select, the input keeps the focus
        const where = document.createElement("span");
        where.className = "where";
        markText(where, h.chapter + (h.heading ? " › " + h.heading : ""));
        const snip = document.createElement("span");
        snip.className = "snip";
        const s = find.snippet(h.text, words);
        markText(snip, (s.before ? "… " : "") + s.text + (s.after ? " …" : ""));
        a.append(where, snip);
        li.append(a);
        list.append(li);
      });
      box.append(list);
      if (results.length > shown) {
        const more = document.createElement("button");
        more.type = "button";
        more.className = "more";
        more.id = "search-more";
        more.tabIndex = -1;
        more.textContent = (results.length - shown) + " more";
        more.addEventListener("click", showAll);
        box.append(more);
      }
      count.textContent = results.length + (results.length === 1 ? " result" : " results") + ", best first" +
        (results.length > shown ? ", " + shown + " shown" : "");
    }
    select(selected);
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };

  const options = () => [...box.querySelectorAll("[role=option], .more")];

  const select = (i) => {
    const all = options();
    selected = Math.max(-1, Math.min(i, all.length - 1));
    all.forEach((el, k) => {
      el.classList.toggle("selected", k === selected);
      if (el.getAttribute("role") === "option") el.setAttribute("aria-selected", String(k === selected));
    });
    if (selected >= 0) {
      input.setAttribute("aria-activedescendant", all[selected].id);
      all[selected].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  function showAll() {
    shown = results.length;
    draw();
    input.focus();
  }

  const close = () => {
    box.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const update = () => {
    const q = input.value.trim();
    if (!q) { results = []; close(); box.replaceChildren(); count.textContent = ""; return; }
    words = find.terms(q);
    results = find.rank(index, q);
    shown = Math.min(results.length, shownFirst);
    selected = -1;
    draw();
  };

  // Enter opens the selected result (the first, if the arrows selected none), or shows the
  // rest if "more" is selected.
  const open = () => {
    const el = options()[Math.max(0, selected)];
    if (!el) return;
    if (el.classList.contains("more")) { showAll(); return; }
    location.href = el.querySelector("a").href;
  };

  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().then(update), 120);
  });
  input.addEventListener("focus", () => {
    load();
    if (input.value.trim() && box.childElementCount) { box.hidden = false; input.setAttribute("aria-expanded", "true"); }
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (box.hidden) return;
      e.preventDefault();
      select(selected + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      // Typed fast: the results may still be on their way.
      clearTimeout(timer);
      load().then(() => { if (!results.length || words.join(" ") !== find.terms(input.value).join(" ")) update(); open(); });
    } else if (e.key === "Escape") {
      e.preventDefault();
      if (!input.value) unmarkPage();
      input.value = "";
      update();
      input.blur();
    }
  });
  // "/" and "s" go to the search box, as in mdBook, unless the reader is typing somewhere.
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || (e.key !== "/" && e.key !== "s")) return;
    const t = e.target;
    if (t instanceof Element && (t.closest("input, textarea, select, [contenteditable]") || t.isContentEditable)) return;
    e.preventDefault();
    input.focus();
    input.select();
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".search")) close();
  });

  // ── the page a result leads to ──────────────────────────────────────────────────────
  // Every occurrence of the searched words (?highlight=, as mdBook links) is marked, and the
  // first at or after the section the result named is scrolled into view; if it is in folded
  // test code, the fold opens (the search index holds every line of code).
  const pageMarks = [];
  function markPage() {
    let terms;
    try { terms = find.terms(new URLSearchParams(location.search).get("highlight")); } catch (e) { return; }
    const main = document.getElementById("content");
    if (!terms.length || !main) return;
    // Not the Run panel (its script owns it) nor buttons (their labels are not the book).
    const skip = "section.run, script, style, button, .anchor";
    const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    for (let n = walk.nextNode(); n; n = walk.nextNode()) nodes.push(n);
    for (const n of nodes) {
      const ranges = find.marks(n.nodeValue, terms);
      for (let i = ranges.length - 1; i >= 0; i--) { // from the end, so earlier offsets hold
        const [s, e] = ranges[i];
        n.splitText(e);
        const hit = n.splitText(s);
        const mark = document.createElement("mark");
        mark.className = "search-hit";
        hit.replaceWith(mark);
        mark.append(hit);
        pageMarks.push(mark);
      }
    }
    pageMarks.sort((a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
    const from = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    const first = pageMarks.find((m) => !from || from.contains(m) ||
      (from.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING)) || pageMarks[0];
    if (!first) return;
    first.classList.add("first");
    const fold = first.closest("details.code-fold");
    if (fold) fold.open = true;
    const show = () => first.scrollIntoView({ block: "center" });
    show();
    // The browser scrolls to the #fragment itself once the page has loaded: come back after.
    addEventListener("load", () => requestAnimationFrame(show), { once: true });
  }
  function unmarkPage() {
    for (const m of pageMarks) m.replaceWith(...m.childNodes);
    pageMarks.length = 0;
    document.getElementById("content")?.normalize();
  }
  markPage();
})();
