package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

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

// artifactDir is where the browser test leaves its screenshots: $ARTIFACTS, or tmp/artifacts
// in the repository.
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

// In a real browser: open a chapter, see its recorded session, press Run, watch responses
// arrive in the log and on the timeline, press Stop, and keep screenshots (light, dark,
// phone) as artifacts. Required in CI; elsewhere it needs a chromium to run.
func TestBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on PATH: CI must install it (apt-get install -y chromium)")
		}
		t.Skip("no chromium on PATH; install Debian's chromium to run the browser test")
	}
	ts := startSite(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
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
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	// The first call starts the browser and must not carry a timeout (it would end the
	// browser with it); every step after it has one.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	step := func(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browserCtx, timeout)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(browserCtx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	poll := func(what, expr string, timeout time.Duration) {
		t.Helper()
		step(what, timeout+5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout))(ctx, tg)
			return err
		}))
	}
	// shot keeps two pictures: the top of the page as the reader first sees it, and the
	// whole Run panel.
	shot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browserCtx, 30*time.Second)
		defer cancel()
		for suffix, action := range map[string]chromedp.Action[[]byte]{
			"-page.png":  chromedp.CaptureScreenshot(),
			"-panel.png": chromedp.Screenshot("section.run"),
		} {
			png, err := chromedp.Run(ctx, action)
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			path := filepath.Join(artifactDir(t), name+suffix)
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)
		}
	}

	page := ts.srv.URL + "/02-single-threaded-blocking"
	step("open the chapter", 30*time.Second, chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	if badge := eval(`document.querySelector("[data-badge]").textContent`); badge != "recorded" {
		t.Errorf("before Run the panel says %q, want recorded", badge)
	}
	poll("the recorded session in the log", `document.querySelectorAll("[data-log] li").length > 5`, 10*time.Second)

	step("press Run", 10*time.Second, chromedp.Click("[data-run]"))
	poll("the run goes live", `document.querySelector("[data-badge]").textContent === "live"`, buildTimeout)
	poll("a response in the log and on the timeline", `
		[...document.querySelectorAll("[data-log] .what")].some(e => e.textContent.startsWith("←")) &&
		document.querySelectorAll("[data-timeline] circle.mk-response").length > 0`, time.Minute)
	poll("Stop can be pressed", `!document.querySelector("[data-stop]").disabled`, 10*time.Second)
	step("press Stop", 10*time.Second, chromedp.Click("[data-stop]"))
	poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over") &&
		!document.querySelector("[data-run]").disabled`, 30*time.Second)
	if status := eval(`document.querySelector("[data-status]").textContent`); !strings.Contains(status, run.ErrStopped.Error()) {
		t.Errorf("after Stop the status says %q", status)
	}
	shot("browser-run-light")

	// Search finds across the book, in book order.
	step("search", 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](`(() => { const i = document.getElementById("search-input");
			i.focus(); i.value = "epoll"; i.dispatchEvent(new Event("input")); })()`)(ctx, tg)
		return err
	}))
	poll("search results", `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)

	// Every runnable chapter draws its recorded session (kept as artifacts, to look at).
	b, err := render.Load(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Chapters {
		if scen, _ := runnable(c); scen == nil {
			continue
		}
		step("open "+c.File, 30*time.Second, chromedp.Navigate(ts.srv.URL+"/"+render.Live.Href(c)), chromedp.WaitVisible("[data-timeline] svg"))
		poll(c.File+": recorded session drawn", `document.querySelectorAll("[data-timeline] rect").length > 0 &&
			document.querySelectorAll("[data-gauges] .gauge").length >= 5`, 10*time.Second)
		ctx, cancel := context.WithTimeout(browserCtx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.Screenshot("section.run"))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifactDir(t), "recorded-"+c.Slug+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The same page dark, and at a phone's width.
	step("dark theme", 30*time.Second,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}),
		chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	shot("browser-recorded-dark")
	func() {
		ctx, cancel := context.WithTimeout(browserCtx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelector("figure.code-file").scrollIntoView({block: "start"})`)); err != nil {
			t.Fatalf("scroll to a code block: %v", err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("code block: %v", err)
		}
		if err := os.WriteFile(filepath.Join(artifactDir(t), "code-block-dark.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}()
	step("phone width", 30*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(page), chromedp.WaitVisible("[data-timeline] svg"))
	shot("browser-recorded-phone-dark")
}
