package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The Run panel's rough edges, in a real browser: the console as a client of the run, the
// crash that ends c10k's threaded server, keyboard focus, and the panel's height.

const blockingPage = "/02-single-threaded-blocking"

// typeCommand sends line from the panel's console, as a reader pressing Enter would.
func (b *browser) typeCommand(line string) {
	b.t.Helper()
	b.step("type "+line, 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector("[data-console]");
		f.elements.line.value = `+strconv.Quote(line)+`;
		f.requestSubmit(); })()`))
}

// With no run going the console says so and offers Run, and sends nothing: the page does
// not even open its websocket, and no process starts. Its Run button starts the run.
func TestBrowserConsoleWithoutRun(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	br.step("open the chapter", pageLoad, chromedp.Navigate(ts.srv.URL+blockingPage), chromedp.WaitVisible("[data-timeline] svg"))
	before := children() // the browser
	br.typeCommand("get greeting")
	br.poll("the console's answer", `document.querySelector("[data-console-out] li") !== null`, 10*time.Second)
	said := br.eval(`document.querySelector("[data-console-out] li").textContent`)
	if !strings.Contains(said, "No run is going") {
		t.Errorf("with no run the console says %q", said)
	}
	if n := ts.sessions.count(); n != 0 {
		t.Errorf("the console opened %d websockets with no run going", n)
	}
	if c := children(); !slices.Equal(c, before) {
		t.Errorf("the console started %v with no run going (before: %v)", c, before)
	}
	if badge := br.eval(`document.querySelector("[data-badge]").textContent`); badge != "recorded" {
		t.Errorf("the console changed the panel to %q", badge)
	}
	br.step("press the console's Run", 10*time.Second, chromedp.Click("[data-console-out] li .btn"))
	br.poll("the run goes live", `document.querySelector("[data-badge]").textContent === "live"`, buildTimeout)
	if focus := br.eval(`document.activeElement.id`); focus != "console-input" {
		t.Errorf("after the console's Run, focus is on %q, want the console's input", focus)
	}
	br.step("press Stop", 10*time.Second, chromedp.Click("[data-stop]"))
	br.poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over")`, 30*time.Second)
	br.noProblems()
}

// During a run the console's connection is a lane of the timeline, named console, and its
// answer shows the round trip. On the blocking server with its slow client, a get sent
// while A holds the server waits until A hangs up: A stays three seconds, so the shown
// round trip is over a second (a property of the scenario, not of the site's speed).
func TestBrowserConsoleLane(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	br.step("open the chapter", pageLoad, chromedp.Navigate(ts.srv.URL+blockingPage), chromedp.WaitVisible("[data-timeline] svg"))
	br.step("two clients, A slow", 10*time.Second, chromedp.SetValue(`input[name=clients]`, "2"))
	br.step("press Run", 10*time.Second, chromedp.Click("[data-run]"))
	br.poll("the run goes live", `document.querySelector("[data-badge]").textContent === "live"`, 10*time.Second)
	br.poll("the slow client holds the server", `[...document.querySelectorAll("[data-log] .what")].some(e => e.textContent.startsWith("A, the slow client"))`, buildTimeout)
	br.typeCommand("get k0")
	br.poll("the console's answer", `document.querySelector("[data-console-out] li .rtt") !== null`, 20*time.Second)
	rtt := br.eval(`document.querySelector("[data-console-out] li .rtt").textContent`)
	ms := br.eval(`String((t => t.endsWith(" ms") ? parseFloat(t) : parseFloat(t) * 1000)(document.querySelector("[data-console-out] li .rtt").textContent.replace(/^\D+/, "")))`)
	if v, err := strconv.ParseFloat(ms, 64); err != nil || v < 1000 || !strings.HasPrefix(rtt, "round trip ") {
		t.Errorf("the console shows %q (%s ms), want a round trip of a second or more", rtt, ms)
	}
	if got := br.eval(`document.querySelector("[data-console-out] li").textContent`); !strings.Contains(got, `"v0"`) {
		t.Errorf("the console's answer: %q", got)
	}
	br.poll("a console lane with its answer on the timeline", `(() => {
		const labels = [...document.querySelectorAll("[data-timeline] text.lane-label")].map(l => l.textContent);
		const i = labels.indexOf("console") - 1; // the server's row comes first
		const lanes = document.querySelectorAll("[data-timeline] rect.lane-bg");
		if (i < 0 || !lanes[i]) return false;
		const y = Number(lanes[i].getAttribute("y")), h = Number(lanes[i].getAttribute("height"));
		return [...document.querySelectorAll("[data-timeline] circle.mk-response")].some(c => {
			const cy = Number(c.getAttribute("cy")); return cy > y && cy < y + h; });
	})()`, 10*time.Second)
	if got := br.eval(`[...document.querySelectorAll("[data-log] li")].filter(li => li.textContent.includes("round trip") || (li.querySelector(".who") || {}).textContent === "console").length > 0 ? "yes" : "no"`); got != "yes" {
		t.Error("the event log has no row of the console's lane")
	}
	br.save("console-lane-blocking.png", chromedp.Screenshot("section.run"))
	br.poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over")`, time.Minute)
	br.noProblems()
}

// Run and Stop, pressed from the keyboard: focus moves to the button that takes over, never
// to the page's body. Between Run and the run's first figures the panel keeps its height.
func TestBrowserRunFocusAndHeight(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	br.step("open the chapter", pageLoad, chromedp.Navigate(ts.srv.URL+blockingPage), chromedp.WaitVisible("[data-timeline] svg"))
	br.step("watch the panel's height", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => {
		const panel = document.querySelector("section.run");
		window.panelHeights = [panel.getBoundingClientRect().height];
		new ResizeObserver(() => window.panelHeights.push(panel.getBoundingClientRect().height)).observe(panel);
	})()`))
	br.step("Run, from the keyboard", 10*time.Second, chromedp.Focus("[data-run]"), chromedp.KeyEvent(kb.Enter))
	if focus := br.eval(`document.activeElement.hasAttribute("data-stop") ? "Stop" : document.activeElement.tagName`); focus != "Stop" {
		t.Errorf("after Run, focus is on %s, want Stop", focus)
	}
	br.poll("the run goes live", `document.querySelector("[data-badge]").textContent === "live"`, 10*time.Second)
	br.poll("listening", `[...document.querySelectorAll("[data-log] .what")].some(e => e.textContent.startsWith("listening on"))`, buildTimeout)
	br.poll("a response", `document.querySelectorAll("[data-timeline] circle.mk-response").length > 0`, time.Minute)
	if shrank := br.eval(`String(Math.min(...window.panelHeights) < window.panelHeights[0] - 1)`); shrank != "false" {
		t.Errorf("the panel's height went %s after Run", br.eval(`window.panelHeights.map(Math.round).join(" → ")`))
	}
	if focus := br.eval(`document.activeElement.hasAttribute("data-stop") ? "Stop" : document.activeElement.tagName`); focus != "Stop" {
		t.Errorf("during the run, focus is on %s, want Stop", focus)
	}
	br.step("Stop, from the keyboard", 10*time.Second, chromedp.KeyEvent(kb.Enter))
	br.poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over")`, 30*time.Second)
	if focus := br.eval(`document.activeElement.hasAttribute("data-run") ? "Run" : document.activeElement.tagName`); focus != "Run" {
		t.Errorf("after the run, focus is on %s, want Run", focus)
	}
	br.noProblems()
}

// c10k's preset walks threaded into Go's thread limit: at 10,000 connections the server
// dies, and the panel's status says why in the runtime's own words (the first lines of the
// fatal error), with the stack dump folded in the log.
func TestBrowserC10kThreadLimit(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	br.step("open c10k", pageLoad, chromedp.Navigate(ts.srv.URL+"/04-c10k"), chromedp.WaitVisible("[data-timeline] svg"))
	br.step("choose the preset", 10*time.Second, chromedp.Click("[data-preset-conns]"))
	if got := br.eval(`document.querySelector("input[name=conns]").value + " " + document.querySelector("input[name=mode]:checked").value`); got != "10000 threaded" {
		t.Fatalf("the preset set %q, want 10000 threaded", got)
	}
	br.step("press Run", 10*time.Second, chromedp.Click("[data-run]"))
	br.poll("the run is over", `document.querySelector("[data-status]").textContent.startsWith("Run over")`, buildTimeout+2*time.Minute)
	status := br.eval(`document.querySelector("[data-status]").textContent`)
	const cause = "runtime: program exceeds 10000-thread limit (fatal error: thread exhaustion)"
	if !strings.Contains(status, cause) || br.eval(`document.querySelector("[data-status] .fail") ? "fail" : ""`) != "fail" {
		t.Errorf("the status says %q, want %q shown as a failure", status, cause)
	}
	if badge := br.eval(`document.querySelector("[data-badge]").textContent`); badge != "failed" {
		t.Errorf("the badge says %q", badge)
	}
	if got := br.eval(`(d => d ? (d.open ? "open" : d.querySelector("summary").textContent) : "none")(document.querySelector("[data-log] li.dump details"))`); !strings.Contains(got, "stack dump") {
		t.Errorf("the stack dump in the log: %s, want folded", got)
	}
	br.save("c10k-threaded-thread-limit.png", chromedp.Screenshot("section.run"))
	br.step("scroll the log to the crash", 10*time.Second, chromedp.Evaluate[chromedp.Void](
		`document.querySelector("[data-log] li[data-crash]").scrollIntoView({block: "start"})`))
	br.save("c10k-threaded-crash-in-log.png", chromedp.Screenshot("details.log"))
	br.noProblems()
}
