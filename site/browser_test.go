package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"flavors/internal/proc"
	"flavors/site/render"
	"flavors/site/run"
)

// findBrowser looks for Debian's chromium (or a Chrome) on PATH.
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needProgram finds a program the browser tests need: required in CI, which installs it;
// elsewhere the test is skipped without it.
func needProgram(t *testing.T, path, install string) {
	t.Helper()
	if path != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must install %s", install)
	}
	t.Skipf("%s is not installed; the browser tests need it", install)
}

// pageLoad bounds opening a page. The Overview holds nine hundred lines of folded test
// code; on a machine busy with other builds its load took over thirty seconds, and a bound
// is there to end a hung test, not to time a healthy one.
const pageLoad = 2 * time.Minute

// artifactDir is where the browser tests leave their screenshots: $ARTIFACTS, or
// tmp/artifacts in the repository.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "tmp", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A browser is one headless Chromium for a test, with every problem a page reports (an
// uncaught exception, console.error, a resource that failed to load) collected.
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func startBrowser(t *testing.T) *browser {
	path := findBrowser()
	needProgram(t, path, "chromium (apt-get install -y chromium)")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, // the test may run as root, in a container
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, b.notice); err != nil {
		t.Fatal(err)
	}
	// The first call starts the browser and must not carry a timeout (it would end the
	// browser with it); every step after it has one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return b
}

// notice keeps what a page reports as going wrong. (It runs in the tab's reading loop: it
// only records.)
func (b *browser) notice(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		problem = "exception: " + ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			problem += " " + ex.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			problem = "console.error: " + strings.Join(args, " ")
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			problem = fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	}
	if problem != "" {
		b.mu.Lock()
		b.problems = append(b.problems, problem)
		b.mu.Unlock()
	}
}

// noProblems fails the test if any page reported one so far.
func (b *browser) noProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("the page reported: %s", p)
	}
}

func (b *browser) step(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func (b *browser) poll(what, expr string, timeout time.Duration) {
	b.t.Helper()
	b.step(what, timeout+5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout))(ctx, tg)
		return err
	}))
}

// search types words into the search box.
func (b *browser) search(words string) {
	b.t.Helper()
	b.step("search", 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](`(() => { const i = document.getElementById("search-input");
			i.focus(); i.value = `+fmt.Sprintf("%q", words)+`; i.dispatchEvent(new Event("input")); })()`)(ctx, tg)
		return err
	}))
}

// save keeps a screenshot (action) as an artifact, to look at.
func (b *browser) save(name string, action chromedp.Action[[]byte]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifactDir(b.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// shot keeps two pictures: the top of the page as the reader first sees it, and the whole
// Run panel.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.save(name+"-page.png", chromedp.CaptureScreenshot())
	b.save(name+"-panel.png", chromedp.Screenshot("section.run"))
}

// In a real browser: open a chapter, see its recorded session, press Run, watch responses
// arrive in the log and on the timeline, press Stop, and keep screenshots (light, dark,
// phone) as artifacts. No page may report an error. Required in CI; elsewhere it needs a
// chromium to run.
func TestBrowser(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)

	page := ts.srv.URL + "/02-single-threaded-blocking"
	br.step("open the chapter", pageLoad, chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	if badge := br.eval(`document.querySelector("[data-badge]").textContent`); badge != "recorded" {
		t.Errorf("before Run the panel says %q, want recorded", badge)
	}
	br.poll("the recorded session in the log", `document.querySelectorAll("[data-log] li").length > 5`, 10*time.Second)

	br.step("press Run", 10*time.Second, chromedp.Click("[data-run]"))
	br.poll("the run goes live", `document.querySelector("[data-badge]").textContent === "live"`, buildTimeout)
	br.poll("a response in the log and on the timeline", `
		[...document.querySelectorAll("[data-log] .what")].some(e => e.textContent.startsWith("←")) &&
		document.querySelectorAll("[data-timeline] circle.mk-response").length > 0`, time.Minute)
	br.poll("Stop can be pressed", `!document.querySelector("[data-stop]").disabled`, 10*time.Second)
	br.step("press Stop", 10*time.Second, chromedp.Click("[data-stop]"))
	br.poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over") &&
		!document.querySelector("[data-run]").disabled`, 30*time.Second)
	if status := br.eval(`document.querySelector("[data-status]").textContent`); !strings.Contains(status, run.ErrStopped.Error()) {
		t.Errorf("after Stop the status says %q", status)
	}
	if badge := br.eval(`document.querySelector("[data-badge]").textContent`); badge != run.EndStopped {
		t.Errorf("after Stop the badge says %q, want %s", badge, run.EndStopped)
	}
	br.shot("browser-run-light")

	// Run again (built now) and let the scenario play to its end: the badge says finished.
	br.step("press Run again", 10*time.Second, chromedp.Click("[data-run]"))
	br.poll("the second run goes live", `document.querySelector("[data-badge]").textContent === "live"`, buildTimeout)
	br.poll("the scenario plays to its end", `document.querySelector("[data-status]").textContent.startsWith("Run over")`, time.Minute)
	if badge := br.eval(`document.querySelector("[data-badge]").textContent`); badge != run.EndFinished {
		t.Errorf("after the scenario's end the badge says %q, want %s", badge, run.EndFinished)
	}
	br.shot("browser-run-finished")

	// Search finds across the book, in book order.
	br.search("epoll")
	br.poll("search results", `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)

	// Test code comes folded; a click opens it, and so does a search hit inside it.
	br.step("open the Overview", pageLoad, chromedp.Navigate(ts.srv.URL+"/01-overview"), chromedp.WaitVisible("article h1"))
	if got := br.eval(`String([...document.querySelectorAll("details.code-fold")].filter(d => !d.open &&
		d.querySelector("figure.code-file") && !d.querySelector("pre").checkVisibility()).length)`); got == "0" {
		t.Error("the Overview shows no folded test code")
	}
	br.step("click a fold's summary", 10*time.Second, chromedp.Click("details.code-fold > summary"))
	br.poll("the fold opens", `document.querySelector("details.code-fold").open &&
		document.querySelector("details.code-fold pre").checkVisibility()`, 5*time.Second)
	br.search("TestReadFrameTruncated")
	br.poll("a search result", `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
	br.step("follow it", 30*time.Second, chromedp.Click("#search-results a"), chromedp.WaitVisible("article h1"))
	br.poll("the fold holding the hit is open", `[...document.querySelectorAll("details.code-fold")].some(d =>
		d.open && d.querySelector("summary").textContent.includes("TestReadFrameTruncated") &&
		d.querySelector("pre").checkVisibility())`, 10*time.Second)

	// Every runnable chapter draws its recorded session (kept as artifacts, to look at).
	b, err := render.Load(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Chapters {
		if scen, _ := runnable(c); scen == nil {
			continue
		}
		br.step("open "+c.File, pageLoad, chromedp.Navigate(ts.srv.URL+"/"+render.Live.Href(c)), chromedp.WaitVisible("[data-timeline] svg"))
		br.poll(c.File+": recorded session drawn", `document.querySelectorAll("[data-timeline] rect").length > 0 &&
			document.querySelectorAll("[data-gauges] .gauge").length >= 5`, 10*time.Second)
		br.save("recorded-"+c.Slug+".png", chromedp.Screenshot("section.run"))
	}

	// The whole book on one page, and printed: no header, sidebar, search or Run controls.
	br.step("open /book", 2*time.Minute, // every chapter rendered at once: slow on a loaded machine
		chromedp.Navigate(ts.srv.URL+"/book"), chromedp.WaitVisible("article h1"))
	if got := br.eval(`[...document.querySelectorAll("article.whole h1")].map(h => h.textContent).join("|")`); got != titles(b) {
		t.Errorf("/book holds the chapters %q, want %q", got, titles(b))
	}
	printed := `["header.top", "#sidebar", ".search", "section.run .buttons", "section.run .controls"].
		filter(s => document.querySelector(s) && document.querySelector(s).checkVisibility()).join(" ")`
	if shown := br.eval(printed); !strings.Contains(shown, "header.top") {
		t.Errorf("on screen /book shows only %q", shown)
	}
	printMedia := func(media string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
			return err
		})
	}
	br.step("print /book", 10*time.Second, printMedia("print"))
	if shown := br.eval(printed); shown != "" {
		t.Errorf("printed, /book shows %s", shown)
	}
	br.step("print a chapter", pageLoad, chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	if shown := br.eval(printed); shown != "" {
		t.Errorf("printed, a chapter shows %s", shown)
	}
	br.save("print-chapter.png", chromedp.CaptureScreenshot())
	br.step("back to the screen", 10*time.Second, printMedia(""))

	// The same page dark, and at a phone's width.
	br.step("dark theme", 30*time.Second,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}),
		chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	br.shot("browser-recorded-dark")
	br.step("scroll to a code block", 10*time.Second, chromedp.Evaluate[chromedp.Void](
		`document.querySelector("figure.code-file").scrollIntoView({block: "start"})`))
	br.save("code-block-dark.png", chromedp.CaptureScreenshot())
	br.step("phone width", 30*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	br.shot("browser-recorded-phone-dark")
	br.noProblems()
}

// titles is the book's chapter titles, in order, joined by "|".
func titles(b *render.Book) string {
	var list []string
	for _, c := range b.Chapters {
		list = append(list, c.Title)
	}
	return strings.Join(list, "|")
}

var servingOn = regexp.MustCompile(`\(http://([0-9.]+:[0-9]+)/\)`)

// The export, served by python3 -m http.server from the directory above it, so that the
// book lives under a path (/book/), as it would on a project's pages: every chapter shows,
// the pager walks the whole book, search finds words and leads to a page, and every Run
// panel replays its recordings, with no Run button and no page reporting an error.
func TestExportInBrowser(t *testing.T) {
	python, _ := exec.LookPath("python3")
	needProgram(t, python, "python3")
	br := startBrowser(t)
	b, err := render.Load(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.Export(filepath.Join(dir, "book")); err != nil {
		t.Fatal(err)
	}
	server, err := proc.Start(exec.Command(python, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	line, err := server.FirstLine(ctx)
	m := servingOn.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("python's http.server said %q, %v", line, err)
	}
	base := "http://" + m[1] + "/book/"
	panels(t, br, b, base, "export-")

	// Replay: the recording plays again on its own clock, to its end.
	br.step("open the blocking chapter", pageLoad, chromedp.Navigate(base+"02-single-threaded-blocking.html"), chromedp.WaitVisible("[data-timeline] svg"))
	rows := br.eval(`String(document.querySelectorAll("[data-log] li").length)`)
	br.step("press Replay", 10*time.Second, chromedp.Click("[data-replay]"))
	br.poll("the replay starts", `document.querySelector("[data-badge]").textContent === "replaying recording"`, 10*time.Second)
	br.poll("the replay ends", `document.querySelector("[data-badge]").textContent === "recorded" &&
		String(document.querySelectorAll("[data-log] li").length) === "`+rows+`"`, time.Minute)

	// The pager walks the whole book from the first page.
	br.step("open the first page", pageLoad, chromedp.Navigate(base), chromedp.WaitVisible("article h1"))
	for _, c := range b.Chapters[1:] {
		br.step("next: "+c.File, 30*time.Second, chromedp.Click(`a[rel="next"]`), chromedp.WaitVisible("article h1"))
		if got := br.eval(`document.querySelector("article h1").textContent`); got != c.Title {
			t.Fatalf("the pager led to %q, want %q", got, c.Title)
		}
	}

	// Search works without the site, and its results lead to pages of the export.
	br.search("EPOLLRDHUP")
	br.poll("search results", `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
	br.step("follow the first result", 30*time.Second, chromedp.Click("#search-results a"), chromedp.WaitVisible("article h1"))
	if loc := br.eval(`location.href`); !strings.HasPrefix(loc, base) || !strings.Contains(loc, ".html") {
		t.Errorf("the search result led to %s", loc)
	}

	// The same book opened from disk, where a browser runs no module script and fetches
	// nothing: the panels still replay (one classic script, recordings in the page), and
	// search still finds.
	fromDisk := "file://" + filepath.Join(dir, "book") + "/"
	panels(t, br, b, fromDisk, "disk-")
	br.search("EPOLLRDHUP")
	br.poll("search results from disk", `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
	br.noProblems()
}

// panels opens every chapter of the exported book at base and checks its Run panel: every
// mode's recording drawn, no Run button, a note saying how to run it. Screenshots are kept
// as artifacts named prefix+slug.
func panels(t *testing.T, br *browser, b *render.Book, base, prefix string) {
	t.Helper()
	for _, c := range b.Chapters {
		br.step("open "+c.File, pageLoad, chromedp.Navigate(base+render.Export.Href(c)), chromedp.WaitVisible("article h1"))
		if got := br.eval(`document.querySelector("article h1").textContent`); got != c.Title {
			t.Errorf("%s: title %q", c.File, got)
		}
		if br.eval(`String(document.querySelector("section.run") !== null)`) != "true" {
			continue
		}
		if br.eval(`String(document.querySelector("[data-run], [data-console]") === null && document.querySelector(".run-note") !== null)`) != "true" {
			t.Errorf("%s: the export's Run panel should have no Run button nor console, and a note on running it", c.File)
		}
		modes := strings.Fields(br.eval(`[...document.querySelectorAll("input[name=mode]")].map(i => i.value).join(" ")`))
		for _, mode := range modes {
			br.step(c.File+": choose "+mode, 10*time.Second, chromedp.Evaluate[chromedp.Void](
				`(() => { const i = document.querySelector("input[name=mode][value=`+mode+`]");
					i.checked = true; i.dispatchEvent(new Event("change", {bubbles: true})); })()`))
			br.poll(c.File+": "+mode+"'s recording drawn", `document.querySelector("[data-log] .what").textContent.startsWith("run bin/`+mode+` ") &&
				document.querySelectorAll("[data-timeline] rect").length > 0 &&
				document.querySelectorAll("[data-gauges] .gauge").length >= 5 &&
				document.querySelector("[data-badge]").textContent === "recorded"`, 10*time.Second)
		}
		br.save(prefix+c.Slug+".png", chromedp.Screenshot("section.run"))
	}
}
