package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"flavors/site/render"
)

// The reader's side of the site in a real browser: search driven from the keyboard as in
// mdBook, the colours' contrast, and the printed page.

// keys presses keys on whatever has the focus, as a keyboard does: a keyDown that carries
// the text, then a keyUp (as Puppeteer sends them). chromedp.KeyEvent sends the text in a
// char event of its own instead, which types even when the page prevented the keydown.
func (b *browser) keys(what, keys string) {
	b.t.Helper()
	b.step(what, 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, r := range keys {
			var down, up input.DispatchKeyEventParams
			for _, e := range kb.Encode(r) {
				switch e.Type {
				case kb.KeyDown:
					down = *e
				case kb.KeyChar:
					down.Text, down.UnmodifiedText = e.Text, e.UnmodifiedText
				case kb.KeyUp:
					up = *e
				}
			}
			for _, e := range []input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, e); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// navigated waits until the page has gone to a new address (one that satisfies the
// JavaScript expression cond) and loaded, however often the old page's context vanishes
// under the waiting.
func (b *browser) navigated(what, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(`+cond+`) && document.readyState === "complete"`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not there after %v (%v)", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// media emulates a CSS media type ("print"; "" for the screen).
func media(m string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	})
}

// inViewport is a JavaScript expression: the element sel names is on screen, whole.
func inViewport(sel string) string {
	return `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; })()`
}

// `/` focuses search, typing shows ranked results with none dropped ("N more"), the arrow
// keys move the selection, Enter opens it, and the page it opens has the words marked with
// the first hit on screen. Escape clears; a hit in folded test code opens its fold; at a
// phone's width the results stay on the screen.
func TestSearchFromTheKeyboard(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	chapter := ts.srv.URL + "/02-single-threaded-blocking"

	br.step("open a chapter", pageLoad, chromedp.Navigate(chapter), chromedp.WaitVisible("article h1"))
	br.keys("press /", "/")
	if got := br.eval(`document.activeElement.id`); got != "search-input" {
		t.Fatalf("after / the focus is on %q, want the search box", got)
	}
	if got := br.eval(`document.getElementById("search-input").value`); got != "" {
		t.Errorf("the / that focused the search box was typed into it: %q", got)
	}
	br.step("leave the search box", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	br.keys("press s", "s")
	if got := br.eval(`document.activeElement.id`); got != "search-input" {
		t.Errorf("after s the focus is on %q, want the search box", got)
	}
	// While the reader types elsewhere, / and s are letters.
	br.step("type into another field", 5*time.Second, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement("textarea"); f.id = "elsewhere"; document.querySelector("main").prepend(f); f.focus(); })()`))
	br.keys("type s/ there", "s/")
	if got := br.eval(`document.activeElement.id + " " + document.getElementById("elsewhere").value`); got != "elsewhere s/" {
		t.Errorf("typing s/ in a text field: focus and value %q, want the field to keep both", got)
	}

	br.step("back to the page", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.getElementById("elsewhere").remove()`))
	br.keys("press /", "/")
	br.keys("type epoll", "epoll")
	br.poll("results", `document.querySelectorAll("#search-results [role=option]").length > 0`, 10*time.Second)

	// No hit is dropped: what is listed plus "N more" is every section holding the word,
	// counted here from the index itself.
	var listed struct {
		Shown, More, All int
		First            string
	}
	if err := json.Unmarshal([]byte(br.eval(`JSON.stringify({
		Shown: document.querySelectorAll("#search-results [role=option]").length,
		More: Number((document.querySelector("#search-results .more")?.textContent.match(/^(\d+) more$/) || [0, -1])[1]),
		All: window.searchIndex.filter(e => (e.chapter + " " + e.heading + " " + e.text).toLowerCase().includes("epoll")).length,
		First: document.querySelector("#search-results [role=option] .where").innerHTML,
	})`)), &listed); err != nil {
		t.Fatal(err)
	}
	if listed.All <= listed.Shown || listed.More != listed.All-listed.Shown {
		t.Errorf("epoll is in %d sections; the results list %d and offer %d more", listed.All, listed.Shown, listed.More)
	}
	// Ranked: the first result names the word in its heading (or chapter title), marked.
	if !strings.Contains(listed.First, "<mark>") {
		t.Errorf("the first result's heading holds no hit: %s", listed.First)
	}
	// Snippets start at a word: the character before a snippet's text in its section is a
	// space (or the snippet starts the section).
	if bad := br.eval(`(() => {
		const index = window.searchIndex;
		return [...document.querySelectorAll("#search-results [role=option] a")].map(a => {
			const u = new URL(a.href), e = index.find(e => u.hash === (e.id ? "#" + e.id : "") && u.pathname.endsWith(e.url.replace(/^\.\//, "/")));
			const s = a.querySelector(".snip").textContent.replace(/^… /, "").replace(/ …$/, "");
			if (!e) return "no section for " + a.href;
			const at = e.text.indexOf(s);
			return at < 0 ? "not in its section: " + s : at > 0 && e.text[at - 1] !== " " ? "starts mid-word: " + s : "";
		}).filter(Boolean).join("\n"); })()`); bad != "" {
		t.Errorf("snippets:\n%s", bad)
	}
	br.save("search-results-desktop.png", chromedp.CaptureScreenshot())

	selected := `[...document.querySelectorAll("#search-results [role=option]")].findIndex(o => o.classList.contains("selected") && o.getAttribute("aria-selected") === "true") + " " +
		document.getElementById("search-input").getAttribute("aria-activedescendant")`
	br.keys("arrow down twice", kb.ArrowDown+kb.ArrowDown)
	if got := br.eval(selected); got != "1 search-result-1" {
		t.Errorf("after two arrows down the selection is %q, want the second result", got)
	}
	br.keys("arrow up", kb.ArrowUp)
	if got := br.eval(selected); got != "0 search-result-0" {
		t.Errorf("after an arrow up the selection is %q, want the first result", got)
	}
	// "N more" shows the rest, from the keyboard too.
	br.step("select N more", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.getElementById("search-input").focus()`))
	for range listed.Shown {
		br.keys("arrow down", kb.ArrowDown)
	}
	if got := br.eval(`document.querySelector("#search-results .more.selected") ? "more" : "not"`); got != "more" {
		t.Errorf("arrowing past the last result selects %q, want the more button", got)
	}
	br.keys("Enter on N more", kb.Enter)
	if got := br.eval(`String(document.querySelectorAll("#search-results [role=option]").length)`); got != strconv.Itoa(listed.All) {
		t.Errorf("after N more the results list %s, want all %d", got, listed.All)
	}
	br.keys("back to the first", strings.Repeat(kb.ArrowUp, listed.Shown+2))
	want := br.eval(`document.querySelector("#search-results [role=option] a").href`)

	br.keys("Enter", kb.Enter)
	br.navigated("the first result's page", `location.href === `+strconv.Quote(want), 30*time.Second)
	if !strings.Contains(want, "?highlight=epoll") {
		t.Errorf("the result leads to %s, which carries no highlight", want)
	}
	br.poll("the first hit marked and on screen", `document.querySelectorAll("mark.search-hit").length > 0 && `+inViewport("mark.search-hit.first"), 10*time.Second)
	br.save("search-landing.png", chromedp.CaptureScreenshot())

	// Escape clears the box and closes the results.
	br.keys("press / and type", "/accept")
	br.poll("results", `!document.getElementById("search-results").hidden`, 10*time.Second)
	br.keys("Escape", kb.Escape)
	if got := br.eval(`document.getElementById("search-input").value + "|" + document.getElementById("search-results").hidden`); got != "|true" {
		t.Errorf("after Escape the box holds and shows %q, want empty and hidden", got)
	}

	// A hit in folded test code: Enter opens the page with the fold open and the hit on screen.
	br.step("open the Overview", pageLoad, chromedp.Navigate(ts.srv.URL+"/01-overview"), chromedp.WaitVisible("article h1"))
	br.keys("search for a test", "/TestReadFrameTruncated")
	br.poll("a result", `document.querySelectorAll("#search-results [role=option]").length > 0`, 10*time.Second)
	br.keys("Enter", kb.Enter)
	br.navigated("the result's page", `location.search.includes("highlight")`, 30*time.Second)
	br.poll("the hit in its open fold, on screen", `document.querySelector("mark.search-hit.first")?.closest("details.code-fold")?.open === true && `+inViewport("mark.search-hit.first"), 30*time.Second)
	br.save("search-landing-fold.png", chromedp.CaptureScreenshot())

	// At a phone's width the results lie inside the screen.
	br.step("phone width", 30*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(chapter), chromedp.WaitVisible("article h1"))
	br.search("epoll")
	br.poll("results on the phone", `document.querySelectorAll("#search-results [role=option]").length > 0`, 10*time.Second)
	if got := br.eval(`(() => { const r = document.getElementById("search-results").getBoundingClientRect();
		return r.left >= 0 && r.right <= innerWidth ? "inside" : "left " + r.left + " right " + r.right + " of " + innerWidth; })()`); got != "inside" {
		t.Errorf("on a phone the results lie %s", got)
	}
	br.save("search-results-phone.png", chromedp.CaptureScreenshot())
	br.noProblems()
}

// contrastCheck measures, in the page, every piece of text on screen (elements holding
// text, ::before/::after content, SVG labels) against the background behind it, composed
// from the computed colours of its ancestors, with WCAG 2's formula: 4.5:1 for text, 3:1
// for large text. It returns what fails, and which of the secondary-text classes it found
// none of (so the check cannot pass by measuring nothing).
const contrastCheck = `(() => {
  const parse = (c) => {
    let m = c.match(/^rgba?\(([^)]*)\)$/);
    if (m) { const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0] / 255, p[1] / 255, p[2] / 255, p.length > 3 ? p[3] : 1]; }
    m = c.match(/^color\(srgb ([^)]*)\)$/);
    if (m) { const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
    throw new Error("a colour this check cannot read: " + c);
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  // WCAG 2: relative luminance of sRGB, and (L1 + 0.05) / (L2 + 0.05).
  const channel = (v) => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const ratio = (a, b) => { const x = luminance(a), y = luminance(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    let bg = parse(getComputedStyle(document.documentElement).colorScheme === "dark" ? "rgb(0,0,0)" : "rgb(255,255,255)");
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const large = (s) => parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const fails = [], seen = new Set();
  let checked = 0;
  const check = (el, style, what, text) => {
    // Disabled controls are exempt (WCAG 1.4.3); text a reader cannot see is not measured.
    if (el.closest(":disabled, .visually-hidden") || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return;
    const fg = parse(el instanceof SVGElement ? style.fill : style.color);
    const bg = background(el instanceof SVGElement ? el.closest("div, section, figure, main") : el);
    const r = ratio(over(fg, bg), bg), need = large(style) ? 3 : 4.5;
    checked++;
    for (const s of required) if (el.matches(s)) seen.add(s);
    if (r < need) fails.push(name(el) + what + " " + JSON.stringify(text.trim().slice(0, 30)) + ": " + r.toFixed(2) + " < " + need + " (" + (el instanceof SVGElement ? style.fill : style.color) + " on " + JSON.stringify(bg.map((v) => Math.round(v * 255))) + ")");
  };
  const required = [".kicker", ".toc a", ".chapters .num", "figure.code figcaption .code-label", "details.code-fold > summary", ".fold-kind",
    ".chroma .c1", ".lesson", ".gauge .g-name", ".gauge .g-unit", ".gauge .g-scale", ".gauge .g-value", ".legend span", ".log-rows .t", ".log-rows .who",
    ".search-results .where", ".search-results .snip", "mark", "svg .axis", ".pager span"];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("script, style, .progress")) continue;
    const style = getComputedStyle(el);
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.nodeValue).join("");
    if (own.trim() && (!(el instanceof SVGElement) || el.tagName === "text")) check(el, style, "", own);
    for (const pseudo of ["::before", "::after"]) {
      const ps = getComputedStyle(el, pseudo);
      if (/^".*\S.*"$/.test(ps.content)) check(el, ps, pseudo, ps.content);
    }
  }
  return JSON.stringify({ checked, fails, missing: required.filter((s) => !seen.has(s)) });
})()`

type contrastResult struct {
	Checked int
	Fails   []string
	Missing []string
}

func (b *browser) contrast() contrastResult {
	b.t.Helper()
	var r contrastResult
	if err := json.Unmarshal([]byte(b.eval(contrastCheck)), &r); err != nil {
		b.t.Fatal(err)
	}
	return r
}

// Every text colour of the theme, light and dark, passes WCAG AA against what is behind it,
// on a chapter with its Run panel, folded tests, open search results and marked hits. The
// check is shown to bite each time: with the old faint grey, it fails.
func TestTextContrast(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	// The Overview's tests are folded; one opened shows its code and its comments.
	// The event loop's panel adds the loop's gauges (descriptors passed, calls).
	pages := []string{"/02-single-threaded-blocking?highlight=accept", "/01-overview?highlight=frame", "/07-event-loop"}
	for _, theme := range []string{"light", "dark"} {
		for _, p := range pages {
			br.step("open "+p, pageLoad, chromedp.Navigate(ts.srv.URL+p), chromedp.WaitVisible("article h1"),
				chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.theme = "`+theme+`";
					document.dispatchEvent(new CustomEvent("themechange"));
					document.querySelector("details.code-fold")?.setAttribute("open", "")`))
			if strings.Contains(p, "02-") {
				br.poll("the recorded session drawn", `document.querySelectorAll("[data-gauges] .gauge").length >= 5 &&
					document.querySelectorAll("[data-log] li").length > 5`, 10*time.Second)
			}
			br.search("epoll")
			br.poll("results", `document.querySelectorAll("#search-results mark").length > 0`, 10*time.Second)
			r := br.contrast()
			t.Logf("%s %s: %d pieces of text measured", theme, p, r.Checked)
			for _, f := range r.Fails {
				t.Errorf("%s %s: %s", theme, p, f)
			}
			if strings.Contains(p, "02-") && len(r.Missing) > 0 {
				// The Overview has no Run panel; the chapter with one must show every class.
				t.Errorf("%s %s: measured none of %v", theme, p, r.Missing)
			}
			if theme == "light" && strings.Contains(p, "02-") {
				br.save("contrast-light.png", chromedp.CaptureScreenshot())
			}
			// The check bites: the faint grey the theme had before fails it.
			old := map[string]string{"light": "#8b919a", "dark": "#737a84"}[theme]
			br.step("the old faint", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.documentElement.style.setProperty("--faint", "`+old+`")`))
			if r := br.contrast(); len(r.Fails) == 0 {
				t.Errorf("%s %s: with the old faint grey %s the contrast check finds nothing wrong", theme, p, old)
			}
		}
	}
	br.noProblems()
}

// Printed, a chapter's Run panel is a figure: the recorded session's gauges and timeline at
// its end, captioned with the mode, and nothing to press or type into; external links show
// where they lead. The page is also printed to a PDF, kept as an artifact.
func TestPrintedChapter(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	br.step("open a chapter", pageLoad, chromedp.Navigate(ts.srv.URL+"/02-single-threaded-blocking"), chromedp.WaitVisible("[data-timeline] svg"))
	br.poll("the recorded session drawn", `document.querySelectorAll("[data-gauges] .gauge").length >= 5`, 10*time.Second)
	controls := `[...document.querySelectorAll("section.run button, section.run input, section.run form, section.run details, section.run .run-status, section.run [data-badge]")].
		filter(e => e.checkVisibility()).map(e => e.tagName.toLowerCase() + "." + e.className).join(" ")`
	if br.eval(controls) == "" {
		t.Fatal("on screen the Run panel shows no controls: the print check below would prove nothing")
	}
	br.step("print", 10*time.Second, media("print"))
	if shown := br.eval(controls); shown != "" {
		t.Errorf("printed, the Run panel shows %s", shown)
	}
	figure := `[
		document.querySelectorAll("[data-timeline] svg rect").length > 0 && document.querySelector("[data-timeline] svg").checkVisibility(),
		[...document.querySelectorAll("[data-gauges] .gauge")].filter(g => g.checkVisibility()).length,
		[...document.querySelectorAll("section.run .lesson")].filter(l => l.checkVisibility()).map(l => getComputedStyle(l, "::before").content + l.textContent).join("|"),
	].join(" ; ")`
	got := br.eval(figure)
	parts := strings.SplitN(got, " ; ", 3)
	if gauges, _ := strconv.Atoi(parts[min(1, len(parts)-1)]); len(parts) != 3 || parts[0] != "true" || gauges < 5 ||
		!strings.HasPrefix(parts[2], `"Recorded run of blocking: "`) {
		t.Errorf("printed, the figure is %q: want the timeline, five gauges or more, and one caption starting Recorded run of blocking", got)
	}
	br.step("scroll to the panel", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector("section.run").scrollIntoView()`))
	br.save("print-run-figure.png", chromedp.Screenshot("section.run"))

	// The PDF Chromium prints: kept to look at (pdftoppm turns a page into a PNG).
	var pdf []byte
	br.step("print to PDF", time.Minute, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{})
		pdf = res.Data
		return err
	}))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PrintToPDF gave %d bytes starting %.10q", len(pdf), pdf)
	}
	path := filepath.Join(artifactDir(t), "print-02-single-threaded-blocking.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("PDF: %s (%d bytes)", path, len(pdf))
	// Links out of the book show their address; links inside it do not (the Overview has both).
	br.step("open the Overview, printed", pageLoad, chromedp.Navigate(ts.srv.URL+"/01-overview"), chromedp.WaitVisible("article h1"))
	links := br.eval(`(() => {
		const out = document.querySelector("article a[href^='http']"), in_ = document.querySelector("article a[href]:not([href^='http']):not(.anchor)");
		return (out ? getComputedStyle(out, "::after").content.includes(out.getAttribute("href")) : "no external link") + " " +
			(in_ ? getComputedStyle(in_, "::after").content : "no internal link"); })()`)
	if links != "true none" {
		t.Errorf("printed links: %q, want an external link's ::after to hold its href and an internal one's none", links)
	}

	// The whole book, printed: each runnable chapter's recorded session as a figure, served
	// by the site and exported (opened from disk, where the figures' script is bundled).
	b, err := render.Load(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range b.Chapters {
		if p := b.Panel(c); p != nil && p.Error == "" && p.Modes[0].Recording != "" {
			want = append(want, "Recorded run of "+p.Modes[0].Name+":")
		}
	}
	if len(want) < 5 {
		t.Fatalf("only %d chapters have a recorded run", len(want))
	}
	figures := `[...document.querySelectorAll("figure.run-figure")].map(f =>
		(f.checkVisibility() && f.querySelectorAll("[data-timeline] svg rect").length > 0 && f.querySelectorAll(".gauge").length >= 5 ? "" : "not drawn: ") +
		f.querySelector("figcaption strong").textContent).join("|")`
	br.step("open /book, printed", 2*time.Minute, chromedp.Navigate(ts.srv.URL+"/book"), chromedp.WaitVisible("article h1"))
	br.poll("the figures drawn", `document.querySelectorAll("figure.run-figure [data-timeline] svg").length > 0`, 10*time.Second)
	if got := br.eval(figures); got != strings.Join(want, "|") {
		t.Errorf("printed, /book's figures are\n%s\nwant\n%s", got, strings.Join(want, "|"))
	}
	br.step("scroll to a figure", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector("figure.run-figure").scrollIntoView()`))
	br.save("print-book-figure.png", chromedp.CaptureScreenshot()) // (an element's screenshot times out on a page this long)
	dir := t.TempDir()
	if err := b.Export(dir); err != nil {
		t.Fatal(err)
	}
	br.step("open the exported book.html from disk", 2*time.Minute, chromedp.Navigate("file://"+filepath.Join(dir, "book.html")), chromedp.WaitVisible("article h1"))
	br.poll("the figures drawn", `document.querySelectorAll("figure.run-figure [data-timeline] svg").length > 0`, 10*time.Second)
	if got := br.eval(figures); got != strings.Join(want, "|") {
		t.Errorf("the export's book.html, printed, has the figures\n%s\nwant\n%s", got, strings.Join(want, "|"))
	}
	br.step("back to the screen", 5*time.Second, media(""))
	br.noProblems()
}
