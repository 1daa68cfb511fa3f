// The reading side of the page: theme switch, chapter menu on phones, reading progress,
// copy buttons, the current section in the sidebar, and search. No framework, no build.
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
  if (!input || !box) return;
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

  // Every word must appear (case-insensitive); results stay in book order, at most 30.
  const find = (query) => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return { words, hits: [] };
    const out = [];
    for (const entry of index) {
      const hay = (entry.heading + " " + entry.text).toLowerCase();
      if (words.every((w) => hay.includes(w) || entry.chapter.toLowerCase().includes(w))) {
        out.push(entry);
        if (out.length === 30) break;
      }
    }
    return { words, hits: out };
  };

  const snippet = (text, words) => {
    const lower = text.toLowerCase();
    let at = -1;
    for (const w of words) { at = lower.indexOf(w); if (at >= 0) break; }
    const start = Math.max(0, at - 50);
    return (start > 0 ? "… " : "") + text.slice(start, start + 160) + (text.length > start + 160 ? " …" : "");
  };

  const highlight = (parent, text, words) => {
    const re = new RegExp("(" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "gi");
    let last = 0;
    for (const m of text.matchAll(re)) {
      parent.append(text.slice(last, m.index));
      const mark = document.createElement("mark");
      mark.textContent = m[0];
      parent.append(mark);
      last = m.index + m[0].length;
    }
    parent.append(text.slice(last));
  };

  const render = () => {
    const q = input.value.trim();
    box.replaceChildren();
    if (!q) { box.hidden = true; count.textContent = ""; return; }
    const { words, hits } = find(q);
    if (!hits.length) {
      const p = document.createElement("p");
      p.className = "none";
      p.textContent = "Nothing in the book matches “" + q + "”.";
      box.append(p);
      count.textContent = "No results";
    } else {
      const list = document.createElement("ol");
      for (const h of hits) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = h.url + "?highlight=" + encodeURIComponent(words.join(" ")) + (h.id ? "#" + h.id : "");
        const where = document.createElement("span");
        where.className = "where";
        where.textContent = h.chapter + (h.heading ? " › " + h.heading : "");
        const snip = document.createElement("span");
        snip.className = "snip";
        highlight(snip, snippet(h.text, words), words);
        a.append(where, snip);
        li.append(a);
        list.append(li);
      }
      box.append(list);
      count.textContent = hits.length + (hits.length === 30 ? "+" : "") + " results, in book order";
    }
    box.hidden = false;
  };

  // Landing from a result: the first hit at or after the section it named is shown, and if it
  // is in folded test code, the fold opens (the search index holds every line of code).
  (function land() {
    let words;
    try { words = (new URLSearchParams(location.search).get("highlight") || "").toLowerCase().split(/\s+/).filter(Boolean); }
    catch (e) { return; }
    const article = document.querySelector("article.chapter");
    if (!words.length || !article) return;
    const from = (location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)))) || article;
    const walk = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    // The section's heading may hold no hit itself: start the walk there, not inside it.
    walk.currentNode = from;
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const text = n.nodeValue.toLowerCase();
      if (!words.some((w) => text.includes(w))) continue;
      const fold = n.parentElement.closest("details.code-fold");
      if (!fold) return; // the hit is in plain view already
      fold.open = true;
      n.parentElement.scrollIntoView({ block: "center" });
      return;
    }
  })();

  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().then(render), 120);
  });
  input.addEventListener("focus", () => load());
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { input.value = ""; render(); }
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".search")) box.hidden = true;
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { box.hidden = true; input.focus(); }
  });
})();
