package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"flavors/site/render"
	"flavors/site/run"
)

// recordedEvents reads a committed recording (chapters/recordings/NAME.jsonl).
func recordedEvents(t *testing.T, name string) []run.Event {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "chapters", "recordings", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []run.Event
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var e run.Event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		events = append(events, e)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// lastStats is a recording's last /proc sample, as the gauges state it (CPU in cores,
// memory in MiB), and the highest CPU of the run, in cores.
func lastStats(t *testing.T, events []run.Event) (last map[string]float64, peakCPU float64) {
	t.Helper()
	for _, e := range events {
		if e.Type == "stats" {
			s := e.Stats
			last = map[string]float64{"cpu": s.CPU / 100, "threads": float64(s.Threads), "rss": float64(s.RSS) / (1 << 20),
				"fds": float64(s.FDs), "conns": float64(s.Conns)}
			peakCPU = math.Max(peakCPU, s.CPU/100)
		}
	}
	if last == nil {
		t.Fatal("a recording without a /proc sample")
	}
	return last, peakCPU
}

// lastLoop is a recording's last line of the whole server's loop counters from a second
// with calls: a figure per call of a second without one is undefined, and the panel keeps
// the last defined one.
func lastLoop(t *testing.T, events []run.Event) *run.LoopStats {
	t.Helper()
	var last *run.LoopStats
	for _, e := range events {
		if e.Type == "loop" && e.Loop.Name == "" && e.Loop.Calls > 0 {
			last = e.Loop
		}
	}
	if last == nil {
		t.Fatal("a recording without loop counters")
	}
	return last
}

func counter(l *run.LoopStats, name string) run.LoopCounter {
	for _, c := range l.Per {
		if c.Name == name {
			return c
		}
	}
	return run.LoopCounter{}
}

// gaugeValue is the value a gauge of the panel's own row shows, as a number (data-value).
func (b *browser) gaugeValue(within, measure string) float64 {
	b.t.Helper()
	s := b.eval(fmt.Sprintf(`(document.querySelector(%q).dataset.value || "")`, within+` .gauge[data-measure="`+measure+`"]`))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.t.Fatalf("gauge %s %s: value %q", within, measure, s)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// The Run panel's gauges and the compare view, on the recorded sessions, in Chromium:
// every gauge of a finished session shows its last sample (read here from the recording
// file); busy wait's CPU is shown in cores on a scale that holds it; epoll's panel shows
// descriptors passed and ready per call; the compare view puts the servers of a chapter side
// by side on one scale; and all of it works in the static export, opened from disk.
func TestGaugesAndCompareInBrowser(t *testing.T) {
	br := startBrowser(t)
	ts := startSite(t)
	open := func(base, slug string) {
		br.step("open "+slug, pageLoad, chromedp.Navigate(base+slug), chromedp.WaitVisible("[data-timeline] svg"))
		br.poll(slug+": gauges drawn", `document.querySelectorAll("[data-gauges] .gauge[data-measure]").length >= 5`, 10*time.Second)
	}

	// c10k at the end of threaded's recording: each gauge shows the last sample.
	open(ts.srv.URL+"/", "04-c10k")
	threaded := recordedEvents(t, "c10k-threaded")
	last, _ := lastStats(t, threaded)
	for measure, want := range last {
		if got := br.gaugeValue("[data-gauges]", measure); !near(got, want) {
			t.Errorf("c10k, threaded, at the end: %s shows %v; the recording's last sample is %v", measure, got, want)
		}
	}
	br.save("gauges-c10k.png", chromedp.Screenshot("section.run"))

	// The compare view: three servers, each its own recording, each row on one scale.
	br.step("press Compare", 10*time.Second, chromedp.Click("[data-compare]"))
	br.poll("the compare view", `document.querySelectorAll(".compare-grid .gauge[data-mode]").length >= 15`, 10*time.Second)
	if got := br.eval(`[...document.querySelectorAll(".compare-mode")].map(m => m.dataset.mode).join(" ")`); got != "threaded gonet epoll" {
		t.Errorf("the compare view's columns: %q", got)
	}
	if br.eval(`String(document.querySelector("[data-gauges]").checkVisibility())`) != "false" {
		t.Error("the panel's own gauges still show beside the compare view")
	}
	threads := map[string]float64{}
	for _, mode := range []string{"threaded", "gonet", "epoll"} {
		want, _ := lastStats(t, recordedEvents(t, "c10k-"+mode))
		threads[mode] = want["threads"]
		for _, measure := range []string{"threads", "rss", "cpu"} {
			if got := br.gaugeValue(`.compare-grid`, measure+`"][data-mode="`+mode); !near(got, want[measure]) {
				t.Errorf("compare, %s: %s shows %v; its recording ends at %v", mode, measure, got, want[measure])
			}
		}
	}
	if threads["threaded"] == threads["epoll"] {
		t.Fatalf("the recordings end with as many threads (%v) for threaded as for epoll: nothing to compare", threads["epoll"])
	}
	for _, measure := range []string{"threads", "rss", "cpu", "fds"} {
		if got := br.eval(`String(new Set([...document.querySelectorAll('.compare-grid .gauge[data-measure="` + measure + `"]')].map(g => g.dataset.max)).size)`); got != "1" {
			t.Errorf("compare: the %s gauges are on %s different scales", measure, got)
		}
	}
	br.save("compare-c10k.png", chromedp.Screenshot("section.run"))

	// Busy wait: CPU in cores, on the machine's cores or the peak's, not clamped at one.
	open(ts.srv.URL+"/", "05-busy-wait")
	busy := recordedEvents(t, "busywait-busywait")
	last, peak := lastStats(t, busy)
	if peak <= 1 {
		t.Fatalf("the busy wait recording peaks at %.2f cores: re-record it", peak)
	}
	cores := math.Max(float64(busy[0].Cores), math.Ceil(peak))
	if got := br.gaugeValue("[data-gauges]", "cpu"); !near(got, last["cpu"]) {
		t.Errorf("busy wait's CPU at the end: %v; the last sample is %v cores", got, last["cpu"])
	}
	cpu := `document.querySelector('[data-gauges] .gauge[data-measure="cpu"]')`
	if got, want := br.eval(cpu+`.querySelector(".g-scale").textContent`), fmt.Sprintf("of %d cores · peak %.2f", int(cores), peak); got != want {
		t.Errorf("busy wait's CPU scale says %q, want %q", got, want)
	}
	if got := br.eval(cpu + `.querySelector(".g-unit").textContent`); got != "cores" {
		t.Errorf("busy wait's CPU unit: %q", got)
	}
	br.save("gauges-busywait.png", chromedp.Screenshot("section.run"))

	// epoll: descriptors passed per call (none: epoll_ctl beside) and ready per call.
	open(ts.srv.URL+"/", "07-event-loop")
	loop := lastLoop(t, recordedEvents(t, "epoll-epoll"))
	if got := br.gaugeValue("[data-gauges]", "passed"); got != 0 {
		t.Errorf("epoll passes %v descriptors per call", got)
	}
	if got, want := br.gaugeValue("[data-gauges]", "ready"), counter(loop, "events").PerCall; !near(got, want) {
		t.Errorf("epoll's ready per call at the end: %v, the recording's last line says %v", got, want)
	}
	note := br.eval(`document.querySelector('[data-gauges] .gauge[data-measure="passed"] .g-note').textContent`)
	if want := fmt.Sprintf("epoll_ctl %d/s", int(counter(loop, "epoll_ctl").Rate)); !strings.Contains(note, want) {
		t.Errorf("epoll's passed gauge says %q, want %q beside it", note, want)
	}
	br.save("gauges-epoll.png", chromedp.Screenshot("section.run"))
	br.step("press Compare", 10*time.Second, chromedp.Click("[data-compare]"))
	br.poll("the compare view", `document.querySelectorAll('.compare-grid .gauge[data-measure="passed"]').length === 3`, 10*time.Second)
	for _, mode := range []string{"select", "poll"} {
		want := counter(lastLoop(t, recordedEvents(t, "epoll-"+mode)), "passed").PerCall
		if got := br.gaugeValue(".compare-grid", `passed"][data-mode="`+mode); !near(got, want) {
			t.Errorf("compare: %s passes %v per call at the end; its recording says %v", mode, got, want)
		}
		if want == 0 {
			t.Errorf("%s's recording ends passing no descriptor: nothing to compare with epoll", mode)
		}
	}
	br.save("compare-epoll.png", chromedp.Screenshot("section.run"))

	// The static export, opened from disk (one classic script): the compare view works.
	b, err := render.Load(ts.root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.Export(dir); err != nil {
		t.Fatal(err)
	}
	br.step("open the exported epoll chapter", pageLoad, chromedp.Navigate("file://"+dir+"/07-event-loop.html"),
		chromedp.WaitVisible("[data-timeline] svg"))
	br.step("press Compare", 10*time.Second, chromedp.Click("[data-compare]"))
	br.poll("the export's compare view", `[...document.querySelectorAll(".compare-mode")].map(m => m.dataset.mode).join(" ") === "epoll select poll" &&
		document.querySelectorAll('.compare-grid .gauge[data-measure="ready"]').length === 3`, 10*time.Second)
	br.save("export-compare-epoll.png", chromedp.Screenshot("section.run"))
	br.noProblems()
}
