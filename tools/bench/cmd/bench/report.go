package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type machine struct {
	CPU       string  `json:"cpu"`
	CPUs      int     `json:"cpus"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
	Date      string  `json:"date"`
	MemoryGiB float64 `json:"memory_gib"`
	Pinning   string  `json:"pinning"`
}

func describeMachine(p plan) machine {
	m := machine{CPU: "unknown CPU", CPUs: machineCPUs(), Go: runtime.Version(), Date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryGiB = float64(statusField(b, "MemTotal:")) / (1 << 20)
	}
	// The servers are built by the go command on PATH, which may differ from this binary's.
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	m.Pinning = "not pinned (one CPU)"
	if p.serverCPU >= 0 {
		m.Pinning = fmt.Sprintf("server pinned to CPU %d, load generator to CPU %s", p.serverCPU, onCPU())
	}
	return m
}

func (m machine) line() string {
	return fmt.Sprintf("%s, %d CPUs, %.1f GiB, %s, %s, %s; %s",
		m.CPU, m.CPUs, m.MemoryGiB, m.Kernel, m.Go, m.Date, m.Pinning)
}

type results struct {
	Machine    machine            `json:"machine"`
	Minutes    float64            `json:"minutes"`
	Throughput []throughputResult `json:"throughput"`
	Syscalls   []syscallRun       `json:"syscalls"`
	Ramp       []rampRun          `json:"ramp"`
	Churn      []churnRun         `json:"churn"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary of one server under one load, over the rounds.
type summary struct {
	mode                    string
	perSecond               estimate
	vsGonet, vsGnet         ratio
	p50, p99, p999          float64
	serverCPU, generatorCPU float64
	cpuPerReq, others       float64
	attempts                int
	errors                  int64
	failure                 string
	rounds                  int
}

func summarize(tr throughputResult, modes []string) []summary {
	byRound := map[int]map[string]run{}
	for _, r := range tr.Runs {
		if byRound[r.Round] == nil {
			byRound[r.Round] = map[string]run{}
		}
		byRound[r.Round][r.Mode] = r
	}
	samples := map[string][]float64{} // req/s of each server, round by round
	for _, r := range tr.Runs {
		if r.Failure == "" && r.PerSecond > 0 {
			samples[r.Mode] = append(samples[r.Mode], r.PerSecond)
		}
	}
	var out []summary
	for _, mode := range modes {
		s := summary{mode: mode}
		var rps, p50, p99, p999, scpu, gcpu, perReq, others, vsGonet, vsGnet []float64
		for _, round := range byRound {
			r, ok := round[mode]
			if !ok {
				continue
			}
			s.errors += r.Errors
			if r.Failure != "" && s.failure == "" {
				s.failure = r.Failure
			}
			if r.Failure != "" || r.PerSecond == 0 {
				continue
			}
			s.rounds++
			rps, p50, p99, p999 = append(rps, r.PerSecond), append(p50, r.P50us), append(p99, r.P99us), append(p999, r.P999us)
			scpu, gcpu = append(scpu, r.ServerCPU), append(gcpu, r.GeneratorCPU)
			perReq, others = append(perReq, r.CPUPerReqUs), append(others, r.Others)
			s.attempts += r.Attempts
			if peer, ok := round["gonet"]; ok && peer.PerSecond > 0 {
				vsGonet = append(vsGonet, r.PerSecond/peer.PerSecond)
			}
			if peer, ok := round[gnetPeer(mode)]; ok && peer.PerSecond > 0 {
				vsGnet = append(vsGnet, r.PerSecond/peer.PerSecond)
			}
		}
		s.perSecond = estimateOf(rps)
		s.p50, s.p99, s.p999 = median(p50), median(p99), median(p999)
		s.serverCPU, s.generatorCPU = median(scpu), median(gcpu)
		s.cpuPerReq, s.others = median(perReq), median(others)
		s.vsGonet = ratioOf(vsGonet, samples[mode], samples["gonet"])
		s.vsGnet = ratioOf(vsGnet, samples[mode], samples[gnetPeer(mode)])
		out = append(out, s)
	}
	return out
}

// rampPoint is the median over rounds of one server at one step of the ramp.
type rampPoint struct {
	target, held, refused        int
	waiting, processes           int
	threads, fds                 int
	rssMiB                       float64
	rssPerConnKiB, kstackPerConn float64
	cpu, p50, p99, p999, others  float64
	perSecond, intended          float64
	errors                       int64
	failure                      string
	ok                           bool
}

func summarizeRamp(runs []rampRun, mode string, steps []int) []rampPoint {
	var out []rampPoint
	for _, target := range append([]int{0}, steps...) {
		pt := rampPoint{target: target}
		var held, refused, waiting, processes, threads, fds, rss, perConn, kstack, cpu, p50, p99, p999, others, rate, intended []float64
		for _, r := range runs {
			if r.Mode != mode {
				continue
			}
			var base *rampStep
			for i := range r.Steps {
				st := &r.Steps[i]
				if st.Target == 0 && st.Failure == "" {
					base = st
				}
				if st.Target != target {
					continue
				}
				if st.Failure != "" {
					if pt.failure == "" {
						pt.failure = st.Failure
					}
					continue
				}
				held, refused = append(held, float64(st.Held)), append(refused, float64(st.Refused))
				waiting, processes = append(waiting, float64(st.Waiting)), append(processes, float64(st.Processes))
				threads, fds = append(threads, float64(st.Threads)), append(fds, float64(st.FDs))
				rss = append(rss, float64(st.RSSKiB)/1024)
				cpu, others = append(cpu, st.CPU), append(others, st.Others)
				p50, p99, p999 = append(p50, st.P50us), append(p99, st.P99us), append(p999, st.P999us)
				rate, intended = append(rate, st.PerSecond), append(intended, st.Intended)
				pt.errors += st.Errors
				if base != nil && st.Held > 0 {
					perConn = append(perConn, float64(st.RSSKiB-base.RSSKiB)/float64(st.Held))
					kstack = append(kstack, float64(st.KernelStack-base.KernelStack)/float64(st.Held))
				}
			}
		}
		if len(held) > 0 {
			pt.ok = true
			pt.held, pt.refused = int(median(held)), int(median(refused))
			pt.waiting, pt.processes = int(median(waiting)), int(median(processes))
			pt.threads, pt.fds = int(median(threads)), int(median(fds))
			pt.rssMiB, pt.cpu, pt.others = median(rss), median(cpu), median(others)
			pt.p50, pt.p99, pt.p999 = median(p50), median(p99), median(p999)
			pt.perSecond, pt.intended = median(rate), median(intended)
			if len(perConn) > 0 {
				pt.rssPerConnKiB, pt.kstackPerConn = median(perConn), median(kstack)
			}
		}
		if pt.ok || pt.failure != "" {
			out = append(out, pt)
		}
	}
	return out
}

// A table prints as aligned text on the terminal and as Markdown in the chapter.
type table struct {
	header []string
	rows   [][]string
}

func (t table) text() string {
	width := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 || i == 1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
			b.WriteString("  ")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (t table) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.header, " | ") + " |\n|")
	for i := range t.header {
		if i < 2 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

func throughputTable(res results, p plan) table {
	t := table{header: []string{"in flight", "server", "req/s", "95% CI", "× gonet", "× gnet", "p50", "p99", "p99.9", "server CPU", "server µs/req", "generator CPU", "others", "syscalls/req"}}
	for _, tr := range res.Throughput {
		for _, s := range summarize(tr, p.modes) {
			row := []string{fmt.Sprint(tr.Depth), s.mode}
			if s.rounds == 0 {
				row = append(row, "failed: "+oneLine(s.failure), "", "", "", "", "", "", "", "", "", "", "")
			} else {
				row = append(row, thousands(s.perSecond.center), s.perSecond.pct(),
					s.vsGonet.String(), s.vsGnet.String(), latency(s.p50), latency(s.p99), latency(s.p999),
					fmt.Sprintf("%.0f%%", s.serverCPU), fmt.Sprintf("%.2f", s.cpuPerReq),
					fmt.Sprintf("%.0f%%", s.generatorCPU), fmt.Sprintf("%.0f%%", s.others))
				row = append(row, syscallsFor(res, tr.Depth, s.mode))
			}
			t.rows = append(t.rows, row)
		}
	}
	return t
}

func syscallsFor(res results, depth int, mode string) string {
	for _, s := range res.Syscalls {
		if s.Depth == depth && s.Mode == mode && s.Failure == "" && s.Requests > 0 {
			return fmt.Sprintf("%.2f", s.PerRequest)
		}
	}
	return "–"
}

func syscallTable(res results) table {
	t := table{header: []string{"in flight", "server", "syscalls/req", "the most frequent, per request", "req/s while counted"}}
	for _, s := range res.Syscalls {
		if s.Failure != "" || s.Requests == 0 {
			t.rows = append(t.rows, []string{fmt.Sprint(s.Depth), s.Mode, "–", "failed: " + oneLine(s.Failure), ""})
			continue
		}
		t.rows = append(t.rows, []string{fmt.Sprint(s.Depth), s.Mode, fmt.Sprintf("%.2f", s.PerRequest),
			syscallCounts{byName: s.ByName}.top(4, float64(s.Requests)), thousands(s.PerSecond)})
	}
	return t
}

func rampTable(res results, p plan) table {
	t := table{header: []string{"server", "idle conns", "held", "threads", "RSS", "RSS/conn", "kernel stacks/conn", "CPU", "active req/s", "of intended", "p50", "p99", "others", "errors", "note"}}
	for _, mode := range p.rampModes {
		for _, pt := range summarizeRamp(res.Ramp, mode, p.rampSteps) {
			row := []string{mode, thousands(float64(pt.target))}
			if !pt.ok {
				row = append(row, "", "", "", "", "", "", "", "", "", "", "", "", "crashed: "+oneLine(pt.failure))
				t.rows = append(t.rows, row)
				continue
			}
			perConn, kstack := "–", "–"
			if pt.target > 0 {
				perConn = kib(pt.rssPerConnKiB)
			}
			// Kernel stacks are the whole machine's: only a server whose threads grew with
			// its connections can be charged with theirs.
			if pt.target > 0 && pt.threads > pt.held/2 {
				kstack = kib(pt.kstackPerConn)
			}
			var notes []string
			if pt.waiting > 0 {
				notes = append(notes, fmt.Sprintf("%s waiting", thousands(float64(pt.waiting))))
			}
			if pt.refused > 0 {
				notes = append(notes, fmt.Sprintf("%s refused", thousands(float64(pt.refused))))
			}
			if pt.processes > 1 {
				notes = append(notes, fmt.Sprintf("%s processes", thousands(float64(pt.processes))))
			}
			note := strings.Join(notes, ", ")
			row = append(row, thousands(float64(pt.held)), thousands(float64(pt.threads)),
				fmt.Sprintf("%.1f MiB", pt.rssMiB), perConn, kstack, fmt.Sprintf("%.0f%%", pt.cpu),
				thousands(pt.perSecond), thousands(pt.intended), latency(pt.p50), latency(pt.p99), fmt.Sprintf("%.0f%%", pt.others), fmt.Sprint(pt.errors), note)
			t.rows = append(t.rows, row)
		}
	}
	return t
}

// churnTable shows what an idle connection costs a fresh server and the same server after
// rounds of connections coming and going: medians over the benchmark's ramp rounds.
func churnTable(res results, p plan) table {
	t := table{header: []string{"server", "read buffers", "idle conns", "RSS/conn, fresh", fmt.Sprintf("after %d rounds", p.churnRounds), "every round"}}
	for _, name := range p.rampModes {
		m, _ := modeNamed(name)
		var first, last []float64
		var held int
		var rounds []string
		failure := ""
		for _, r := range res.Churn {
			if r.Mode != name {
				continue
			}
			if r.Fail != "" || len(r.Steps) == 0 {
				failure = r.Fail
				continue
			}
			first, last = append(first, r.Steps[0].PerConn), append(last, r.Steps[len(r.Steps)-1].PerConn)
			held = r.Steps[0].Held
			if rounds == nil {
				for _, st := range r.Steps {
					rounds = append(rounds, fmt.Sprintf("%.1f", st.PerConn))
				}
			}
		}
		if len(first) == 0 {
			t.rows = append(t.rows, []string{name, m.buffers, "", "", "", "failed: " + oneLine(failure)})
			continue
		}
		t.rows = append(t.rows, []string{name, m.buffers, thousands(float64(held)), kib(median(first)), kib(median(last)),
			strings.Join(rounds, ", ") + " KiB"})
	}
	return t
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func latency(us float64) string {
	switch {
	case math.IsNaN(us) || us == 0:
		return "–"
	case us >= 1000:
		return fmt.Sprintf("%.2f ms", us/1000)
	default:
		return fmt.Sprintf("%.0f µs", us)
	}
}

func kib(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f KiB", v)
	}
	return fmt.Sprintf("%.2f KiB", v)
}

// report prints the tables, writes the raw results, the plots and, if asked, the chapter's
// bench section.
func report(res results, p plan, out, chapter string) error {
	var md strings.Builder
	fmt.Fprintf(&md, "Measured %s on %s (%d CPUs, %.0f GiB), %s, %s; %s. `make bench` ran %d rounds in %.0f minutes.\n\n",
		res.Machine.Date, res.Machine.CPU, res.Machine.CPUs, res.Machine.MemoryGiB, res.Machine.Kernel, res.Machine.Go,
		res.Machine.Pinning, p.rounds, res.Minutes)
	fmt.Println()
	fmt.Println(res.Machine.line())
	if len(res.Throughput) > 0 {
		t := throughputTable(res, p)
		fmt.Printf("\nThroughput, %d connections, median of %d rounds (ratios: median of the per-round ratios)\n\n%s",
			p.scenarios[0].conns, p.rounds, t.text())
		fmt.Fprintf(&md, "**Throughput**, %d connections; medians of %d rounds with their 95%% confidence intervals (benchmath, assuming no distribution); a ratio is the median of the ratios within each round, with its interval, and `~` where a Mann–Whitney U test finds no difference between the two servers' rounds (p ≥ 0.05). Every round is in `chapters/figures/c10k-bench.txt`, for `benchstat`:\n\n%s\n",
			p.scenarios[0].conns, p.rounds, t.markdown())
		for _, tr := range res.Throughput {
			name := fmt.Sprintf("c10k-throughput-%d.svg", tr.Depth)
			if err := os.WriteFile(filepath.Join(out, name), []byte(throughputChart(tr, p).svg()), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(&md, "![Requests per second, %d in flight](figures/%s)\n\n", tr.Depth, name)
		}
	}
	if len(res.Syscalls) > 0 {
		t := syscallTable(res)
		fmt.Printf("\nSystem calls per request (%s, every thread of the server)\n\n%s", p.syscalls, t.text())
		fmt.Fprintf(&md, "**System calls per request**, counted with `%s` over every thread of the server, in a run of their own:\n\n%s\n", syscallCommand(p.syscalls), t.markdown())
	}
	if len(res.Ramp) > 0 {
		t := rampTable(res, p)
		fmt.Printf("\nc10k ramp: %d active clients at %.0f req/s each, idle connections added (median of %d rounds)\n\n%s",
			p.active, p.activeRate, p.rampRounds, t.text())
		fmt.Fprintf(&md, "**The c10k ramp**: %d active clients sending %s requests a second in all, on a fixed schedule (*active req/s* is what they got answered, *of intended* what the schedule asked; latencies count from the schedule), while idle connections pile up; medians of %d rounds. *RSS/conn* is the growth of the server's resident memory since no idle connection was open, divided by the connections held (its children's memory included, summed); *kernel stacks/conn* the same for the machine's kernel stacks, which RSS does not include; a connection *waiting* was accepted but not answered within the ten seconds the ramp waits for an answer:\n\n%s\n",
			p.active, thousands(p.activeRate), p.rampRounds, t.markdown())
		for _, c := range rampCharts(res, p) {
			if err := os.WriteFile(filepath.Join(out, c.file), []byte(c.chart.svg()), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(&md, "![%s](figures/%s)\n\n", c.chart.title, c.file)
		}
	}
	if len(res.Churn) > 0 {
		t := churnTable(res, p)
		fmt.Printf("\nChurn: %d idle connections opened and closed %d times against a fresh server (median of %d rounds)\n\n%s",
			p.churnConns, p.churnRounds, p.rampRounds, t.text())
		fmt.Fprintf(&md, "**Churn**: a fresh server takes %s idle connections in, they all close, and as many come again, %d times; *RSS/conn* is the growth of its resident memory since before the first round, divided by the connections held, in the first round and in the last (medians of %d runs; *every round* is the first run's):\n\n%s\n",
			thousands(float64(p.churnConns)), p.churnRounds, p.rampRounds, t.markdown())
	}
	if err := writeBenchfmt(res, p, filepath.Join(out, "c10k-bench.txt")); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "c10k-bench.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "c10k-bench.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	logf("wrote %s", out)
	if chapter != "" {
		if err := rewriteSection(chapter, md.String()); err != nil {
			return err
		}
		logf("rewrote the bench section of %s", chapter)
	}
	return nil
}

func syscallCommand(tool string) string {
	if tool == "perf" {
		return "perf stat -e raw_syscalls:sys_enter -p PID"
	}
	return "strace -c -f -p PID"
}

func throughputChart(tr throughputResult, p plan) barChart {
	c := barChart{title: fmt.Sprintf("Requests per second, %d connections, %d in flight (median of %d rounds)", tr.Conns, tr.Depth, p.rounds)}
	for _, s := range summarize(tr, p.modes) {
		label := thousands(s.perSecond.center) + " " + s.perSecond.pct()
		if s.vsGonet.n > 0 && s.mode != "gonet" {
			label += fmt.Sprintf("  (%.2f× gonet)", s.vsGonet.center)
		}
		value := s.perSecond.center
		if s.rounds == 0 {
			value, label = 0, "failed"
		}
		c.bars = append(c.bars, bar{name: s.mode, value: value, label: label})
	}
	return c
}

type namedChart struct {
	file  string
	chart lineChart
}

func rampCharts(res results, p plan) []namedChart {
	threads := lineChart{title: "Threads", xLabel: "idle connections", yLabel: "OS threads", logX: true, logY: true}
	rss := lineChart{title: "Resident memory per idle connection", xLabel: "idle connections", yLabel: "KiB per connection", logX: true, logY: true,
		refs: []reference{{1, "1 KiB"}}}
	cpu := lineChart{title: "Server CPU while the active clients are served", xLabel: "idle connections", yLabel: "% of one CPU", logX: true}
	p99 := lineChart{title: "Active clients' p99 latency", xLabel: "idle connections", yLabel: "milliseconds", logX: true, logY: true,
		refs: []reference{{1, "1 ms"}}}
	for _, mode := range p.rampModes {
		pts := summarizeRamp(res.Ramp, mode, p.rampSteps)
		var st, sr, sc, sp = series{name: mode}, series{name: mode}, series{name: mode}, series{name: mode}
		for _, pt := range pts {
			if pt.target == 0 {
				continue
			}
			if !pt.ok {
				st.crashedAt, sr.crashedAt, sc.crashedAt, sp.crashedAt = float64(pt.target), float64(pt.target), float64(pt.target), float64(pt.target)
				continue
			}
			x := float64(pt.target)
			st.points = append(st.points, point{x, float64(pt.threads)})
			if pt.held > 0 {
				sr.points = append(sr.points, point{x, math.Max(pt.rssPerConnKiB, 0.01)})
			}
			sc.points = append(sc.points, point{x, pt.cpu})
			sp.points = append(sp.points, point{x, pt.p99 / 1000})
		}
		threads.series, rss.series = append(threads.series, st), append(rss.series, sr)
		cpu.series, p99.series = append(cpu.series, sc), append(p99.series, sp)
	}
	return []namedChart{{"c10k-threads.svg", threads}, {"c10k-rss-per-conn.svg", rss}, {"c10k-cpu.svg", cpu}, {"c10k-p99.svg", p99}}
}

const (
	sectionBegin = "<!-- bench:begin (written by make bench; edit tools/bench, not this) -->"
	sectionEnd   = "<!-- bench:end -->"
)

// rewriteSection replaces what lies between the chapter's bench markers with md.
func rewriteSection(chapter, md string) error {
	b, err := os.ReadFile(chapter)
	if err != nil {
		return err
	}
	text := string(b)
	i, j := strings.Index(text, sectionBegin), strings.Index(text, sectionEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q ... %q section to rewrite", chapter, sectionBegin, sectionEnd)
	}
	text = text[:i+len(sectionBegin)] + "\n\n" + md + text[j:]
	return os.WriteFile(chapter, []byte(text), 0o644)
}

// gnetPeer is the gnet run a mode is compared with: gnet with as many loops (multiloop-2
// against gnet-2), or gnet with one.
func gnetPeer(mode string) string {
	if _, loops, ok := strings.Cut(mode, "-"); ok && strings.HasPrefix(mode, "multiloop-") {
		return "gnet-" + loops
	}
	return "gnet"
}
