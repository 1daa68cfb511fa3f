package main

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func TestParsePerfStat(t *testing.T) {
	out := `# started on Sat Nov 21 09:09:32 2026

559138,,raw_syscalls:sys_enter,1717034891,100.00,,
360728,,syscalls:sys_enter_read,1717034891,100.00,,
<not counted>,,syscalls:sys_enter_write,0,0.00,,
0,,syscalls:sys_enter_epoll_wait,1717034891,100.00,,
`
	c, err := parsePerfStat(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.total != 559138 || c.byName["read"] != 360728 || c.byName["epoll_wait"] != 0 {
		t.Fatalf("parsed %+v", c)
	}
	if _, ok := c.byName["write"]; ok {
		t.Fatal("a <not counted> event was read as a count")
	}
	if _, err := parsePerfStat("# nothing\n"); err == nil {
		t.Fatal("output without the total was accepted")
	}
}

func TestParseStraceSummary(t *testing.T) {
	out := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 52.10    0.101222           1     99980           write
 40.00    0.077777           0     99990        12 read
  7.90    0.015360           1      9601           epoll_pwait
------ ----------- ----------- --------- --------- ----------------
100.00    0.194359           0    209571        12 total
`
	c, err := parseStraceSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.total != 209571 || c.byName["read"] != 99990 || c.byName["epoll_pwait"] != 9601 {
		t.Fatalf("parsed %+v", c)
	}
}

func TestMedianAndRotate(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 = %v", m)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is a number")
	}
	if got := strings.Join(rotate([]string{"a", "b", "c"}, 4), ""); got != "bca" {
		t.Errorf("rotate = %q", got)
	}
}

func TestRatiosArePairedWithinRounds(t *testing.T) {
	// gonet is twice as fast in round 0 and half as fast in round 1; epoll is 1.5× gonet in
	// both. The ratio must be 1.5 whatever the drift between rounds.
	tr := throughputResult{Runs: []run{
		{Mode: "gonet", Round: 0, PerSecond: 200}, {Mode: "epoll", Round: 0, PerSecond: 300},
		{Mode: "gonet", Round: 1, PerSecond: 50}, {Mode: "epoll", Round: 1, PerSecond: 75},
		{Mode: "gonet", Round: 2, PerSecond: 100}, {Mode: "epoll", Round: 2, PerSecond: 150},
	}}
	for _, s := range summarize(tr, []string{"gonet", "epoll"}) {
		if s.mode == "epoll" && s.vsGonet.center != 1.5 {
			t.Fatalf("epoll × gonet = %v, want 1.5", s.vsGonet)
		}
		if s.mode == "epoll" && s.perSecond.center != 150 {
			t.Fatalf("median = %v, want 150", s.perSecond)
		}
	}
}

func TestChartsAreWellFormedSVG(t *testing.T) {
	line := lineChart{title: "t <&>", xLabel: "x", yLabel: "y", logX: true, logY: true,
		series: []series{{name: "epoll", points: []point{{100, 1}, {10000, 0.5}}}, {name: "threaded", crashedAt: 10000}},
		refs:   []reference{{1, "1 KiB"}}}
	bars := barChart{title: "b", bars: []bar{{"gonet", 10, "10"}, {"epoll", 0, "failed"}}}
	for _, svg := range []string{line.svg(), bars.svg()} {
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%v in\n%s", err, svg)
				}
				break
			}
		}
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Fatalf("a coordinate is not a number:\n%s", svg)
		}
	}
}

func TestRewriteSectionKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chapter.md")
	os.WriteFile(path, []byte("before\n"+sectionBegin+"\nold\n"+sectionEnd+"\nafter\n"), 0o644)
	if err := rewriteSection(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "before\n" + sectionBegin + "\n\nnew\n" + sectionEnd + "\nafter\n"
	if string(b) != want {
		t.Fatalf("got %q", b)
	}
	os.WriteFile(path, []byte("no markers\n"), 0o644)
	if rewriteSection(path, "x") == nil {
		t.Fatal("a chapter without markers was rewritten")
	}
}

func TestEstimatesNeedSixRounds(t *testing.T) {
	five := estimateOf([]float64{5, 1, 4, 2, 3})
	if five.center != 3 || !math.IsInf(five.lo, -1) || five.pct() != "±∞" {
		t.Fatalf("five rounds: %+v %s; want a median and no interval", five, five.pct())
	}
	six := estimateOf([]float64{6, 1, 5, 2, 4, 3})
	if six.center != 3.5 || six.lo != 1 || six.hi != 6 {
		t.Fatalf("six rounds: %+v; want median 3.5 in [1, 6]", six)
	}
}

func TestRatioSignificance(t *testing.T) {
	apart := ratioOf([]float64{2, 2, 2, 2, 2, 2}, []float64{20, 21, 22, 23, 24, 25}, []float64{10, 11, 12, 13, 14, 15})
	if !apart.significant() || strings.HasSuffix(apart.String(), "~") {
		t.Errorf("separated samples: p = %v, %s", apart.p, apart)
	}
	mixed := ratioOf([]float64{1, 1, 1, 1, 1, 1}, []float64{10, 12, 14, 16, 18, 20}, []float64{11, 13, 15, 17, 19, 21})
	if mixed.significant() || !strings.HasSuffix(mixed.String(), "~") {
		t.Errorf("interleaved samples: p = %v, %s", mixed.p, mixed)
	}
}

func TestBenchfmtReadsBack(t *testing.T) {
	res := results{Throughput: []throughputResult{{Conns: 50, Depth: 1, Runs: []run{
		{Mode: "epoll", Round: 0, PerSecond: 1000, P99us: 100},
		{Mode: "gonet", Round: 0, PerSecond: 900, P99us: 120},
		{Mode: "poll", Round: 0, Failure: "crashed"},
	}}}}
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := writeBenchfmt(res, plan{duration: time.Second}, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := benchfmt.NewReader(f, path)
	var names []string
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			names = append(names, string(res.Name.Full()))
			if v, ok := res.Value("req/s"); !ok || v <= 0 {
				t.Errorf("%s: req/s %v", res.Name.Full(), v)
			}
		}
	}
	if want := "Throughput/conns=50/depth=1/server=epoll Throughput/conns=50/depth=1/server=gonet"; strings.Join(names, " ") != want {
		t.Fatalf("read back %q, want %q", names, want)
	}
}

// An unpinned server must be free to run on every CPU although the benchmark that starts it
// is pinned to the generator's: a child inherits its parent's affinity. Runs the prefix from
// a parent pinned to the last CPU and reads what the child may use.
func TestUnpinnedServersAreNotConfinedToTheGeneratorsCPU(t *testing.T) {
	n := machineCPUs()
	allowed := func(mode string, cpu int) string {
		argv := append([]string{"taskset", "-c", fmt.Sprint(n - 1)}, onCPUs(mode, cpu)...)
		argv = append(argv, "grep", "Cpus_allowed_list", "/proc/self/status")
		out, err := exec.Command(argv[0], argv[1:]...).Output()
		if err != nil {
			t.Fatalf("%v: %v", argv, err)
		}
		return strings.TrimSpace(strings.TrimPrefix(string(out), "Cpus_allowed_list:"))
	}
	all := fmt.Sprintf("0-%d", n-1)
	if n == 1 {
		all = "0"
	}
	if got := allowed("multiloop-2", 0); got != all {
		t.Errorf("multiloop-2 started by a benchmark pinned to CPU %d may run on CPUs %s, want %s", n-1, got, all)
	}
	if got := allowed("epoll", 0); got != "0" {
		t.Errorf("epoll pinned to CPU 0 may run on CPUs %s", got)
	}
}

// A many-loop row is tested against the gnet with as many loops that its ratio divides by,
// not against the one-loop gnet: multiloop-2 level with gnet-2 and far below gnet must get
// its "~".
func TestGnetRatioIsTestedAgainstItsPeer(t *testing.T) {
	var runs []run
	for round := range 8 {
		f := float64(round)
		runs = append(runs,
			run{Mode: "gnet", Round: round, PerSecond: 1000 + f},
			run{Mode: "gnet-2", Round: round, PerSecond: 500 + 2*f},
			run{Mode: "multiloop-2", Round: round, PerSecond: 501 + 2*float64((round+3)%8)})
	}
	for _, s := range summarize(throughputResult{Runs: runs}, []string{"gnet", "gnet-2", "multiloop-2"}) {
		if s.mode == "multiloop-2" && (s.vsGnet.significant() || !strings.HasSuffix(s.vsGnet.String(), "~")) {
			t.Errorf("multiloop-2 × gnet-2 = %s (p = %v): level rounds, want ~", s.vsGnet, s.vsGnet.p)
		}
		if s.mode == "gnet-2" && !s.vsGnet.significant() {
			t.Errorf("gnet-2 × gnet = %s (p = %v): half the rate in every round, want a difference", s.vsGnet, s.vsGnet.p)
		}
	}
}
