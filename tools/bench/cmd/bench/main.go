// Command bench is `make bench`: it builds the book's servers and the gnet peer, loads each
// one with the book's load generator (flavors/code/loadgen) and prints medians and ratios
// in one table, then ramps idle connections for the c10k chapter and draws what happened.
//
// Method, in short: the server runs pinned to one CPU (so Go gives it one P, and the event
// loops their one thread), the generator pinned to another; servers take turns A B C, A B C
// … for several rounds, each round starting one further along, so slow drift of a shared
// machine falls on every server alike; each figure is the median over rounds, and each ratio
// the median of the ratios within a round.
//
//	go -C tools/bench run ./cmd/bench            # the full run, about 12 minutes
//	go -C tools/bench run ./cmd/bench -quick     # a couple of minutes, for development
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"flavors/code/loadgen"

	"golang.org/x/sys/unix"
)

type scenario struct {
	conns, depth int
}

func (s scenario) String() string { return fmt.Sprintf("%d conns, %d in flight", s.conns, s.depth) }

type plan struct {
	rounds           int
	warmup, duration time.Duration
	scenarios        []scenario
	modes            []string // throughput, in the order tables list them
	syscalls         string   // perf, strace, or "" for none

	rampModes  []string
	rampSteps  []int
	rampRounds int
	// The churn: rounds of churnConns idle connections opened and closed against a fresh
	// server, to see what a connection costs once memory has been used and freed.
	churnConns, churnRounds int
	probe                   time.Duration
	active                  int
	activeRate              float64

	serverCPU, generatorCPU int
	// The most time repeating disturbed runs may take, for throughput and for the ramp.
	throughputRepeats, rampRepeats *repeatBudget
}

// minRounds is the fewest rounds for which a 95% confidence interval of a median exists
// without assuming a distribution: with n rounds, the chance that the median lies outside
// [min, max] is 2/2^n, under 5% from n = 6 on.
const minRounds = 6

func fullPlan() plan {
	return plan{
		rounds: 8, warmup: time.Second, duration: 2 * time.Second,
		scenarios:  []scenario{{50, 1}, {50, 16}},
		modes:      modeNames(func(m mode) bool { return m.throughput }),
		rampModes:  modeNames(func(m mode) bool { return m.ramp }),
		rampSteps:  []int{100, 1000, 5000, 10000},
		rampRounds: 3, probe: 2 * time.Second, active: 4, activeRate: 4000,
		churnConns: 1000, churnRounds: 5,
		throughputRepeats: &repeatBudget{90 * time.Second}, rampRepeats: &repeatBudget{90 * time.Second},
	}
}

func quickPlan() plan {
	return plan{
		rounds: minRounds, warmup: 300 * time.Millisecond, duration: 700 * time.Millisecond,
		scenarios:  []scenario{{50, 1}, {50, 16}},
		modes:      modeNames(func(m mode) bool { return m.throughput && m.quick }),
		rampModes:  modeNames(func(m mode) bool { return m.ramp && m.quick }),
		rampSteps:  []int{100, 1000, 2000},
		rampRounds: 1, probe: time.Second, active: 4, activeRate: 4000,
		churnConns: 1000, churnRounds: 3,
		throughputRepeats: &repeatBudget{10 * time.Second}, rampRepeats: &repeatBudget{10 * time.Second},
	}
}

// rampLimit ends a mode's ramp before a step that would hurt the machine more than the
// server. forked's children are a process of about six threads each: at 10,000 they would
// want more thread IDs than the kernel has (pid_max is 32,768 by default), and every
// other program on the machine would fail to start a thread.
var rampLimit = map[string]int{"forked": 2000}

// unpinned reports whether a mode's server runs free on every CPU instead of pinned to one:
// the modes with many event loops, whose point is to use more than one. The generator stays
// on its CPU, so their loops share it with the generator. (See onCPUs: unpinned takes a
// taskset of its own.)
func unpinned(mode string) bool {
	return strings.HasPrefix(mode, "multiloop-") || strings.HasPrefix(mode, "gnet-")
}

func main() {
	quick := flag.Bool("quick", os.Getenv("BENCH") == "quick", "a short run for development (also BENCH=quick)")
	root := flag.String("root", "", "the book's repository (default: found from the working directory)")
	out := flag.String("out", "", "where tables, plots and raw results go (default: chapters/figures, or tools/bench/out with -quick)")
	chapter := flag.String("chapter", "", "chapter whose bench section is rewritten (default: chapters/04-c10k.md; none with -quick)")
	modes := flag.String("modes", "", "comma-separated servers for the throughput table (default: all)")
	rampModes := flag.String("ramp-modes", "", "comma-separated servers for the c10k ramp (default: plan's)")
	depths := flag.String("depths", "", "comma-separated requests in flight per connection for the throughput table (default: 1,16)")
	rampSteps := flag.String("ramp-steps", "", "comma-separated idle connection counts (default: plan's)")
	rounds := flag.Int("rounds", 0, fmt.Sprintf("rounds (default: 8, or %d with -quick; at least %d)", minRounds, minRounds))
	syscalls := flag.String("syscalls", "auto", "count syscalls per request with perf, strace, or off")
	gomaxprocs := flag.Int("gomaxprocs", 0, "set GOMAXPROCS in the servers' environment (default: unset, so one pinned CPU gives one P)")
	churnRounds := flag.Int("churn-rounds", 0, "rounds of churn after each ramp (default: plan's; -1: none)")
	rerender := flag.String("rerender", "", "measure nothing: write tables, plots and the chapter again from this c10k-bench.json (of a run with the same plan)")
	skipRamp := flag.Bool("no-ramp", false, "skip the c10k ramp")
	skipThroughput := flag.Bool("no-throughput", false, "skip the throughput table")
	flag.Parse()

	pinSelf()
	p := fullPlan()
	if *quick {
		p = quickPlan()
	}
	if *rounds > 0 {
		p.rounds = max(*rounds, minRounds)
	}
	if *modes != "" {
		p.modes = strings.Split(*modes, ",")
	}
	if *rampModes != "" {
		p.rampModes = strings.Split(*rampModes, ",")
	}
	serverGOMAXPROCS = *gomaxprocs
	if *depths != "" {
		p.scenarios = nil
		for _, f := range strings.Split(*depths, ",") {
			var d int
			fmt.Sscan(f, &d)
			p.scenarios = append(p.scenarios, scenario{conns: 50, depth: d})
		}
	}
	if *rampSteps != "" {
		p.rampSteps = nil
		for _, f := range strings.Split(*rampSteps, ",") {
			var n int
			fmt.Sscan(f, &n)
			p.rampSteps = append(p.rampSteps, n)
		}
	}
	for _, name := range append(append([]string{}, p.modes...), p.rampModes...) {
		if _, err := modeNamed(name); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
	}
	if *churnRounds != 0 {
		p.churnRounds = max(*churnRounds, 0)
	}
	if *skipRamp {
		p.rampModes = nil
	}
	if *skipThroughput {
		p.modes = nil
	}
	if *syscalls == "off" {
		p.syscalls = ""
	} else {
		p.syscalls = syscallTool(*syscalls)
	}
	p.serverCPU, p.generatorCPU = 0, 1
	if machineCPUs() < 2 {
		p.serverCPU, p.generatorCPU = -1, -1
	}

	if *root == "" {
		*root = findRoot()
	}
	if *out == "" {
		*out = filepath.Join(*root, "chapters", "figures")
		if *quick {
			*out = filepath.Join(*root, "tools", "bench", "out")
		}
	}
	if *chapter == "" && !*quick {
		*chapter = filepath.Join(*root, "chapters", "04-c10k.md")
	}

	if *rerender != "" {
		if err := rerenderFrom(*rerender, p, *out, *chapter); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		live.killAll()
	}()
	if err := benchmark(ctx, p, *root, *out, *chapter); err != nil {
		live.killAll()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func benchmark(ctx context.Context, p plan, root, out, chapter string) error {
	start := time.Now()
	bin := filepath.Join(root, "tools", "bench", "bin")
	if err := build(root, bin, append(append([]string{}, p.modes...), p.rampModes...)); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	m := describeMachine(p)
	logf("%s", m.line())
	logf("file descriptor limit: %d", loadgen.RaiseFileLimit())
	res := results{Machine: m}
	if len(p.modes) > 0 {
		res.Throughput = runThroughput(ctx, p, bin)
		if p.syscalls != "" {
			res.Syscalls = runSyscalls(ctx, p, bin, out)
		}
	}
	if len(p.rampModes) > 0 {
		res.Ramp, res.Churn = runRamps(ctx, p, bin)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.Minutes = time.Since(start).Minutes()
	return report(res, p, out, chapter)
}

// rerenderFrom reports a run again from its raw results, for when the report changed and
// the measurements need not.
func rerenderFrom(path string, p plan, out, chapter string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i := range res.Throughput {
		res.Throughput[i].Scenario = scenario{res.Throughput[i].Conns, res.Throughput[i].Depth}
	}
	return report(res, p, out, chapter)
}

// build compiles the servers a plan needs into bin: the book's from code/, gnet from this
// module.
func build(root, bin string, names []string) error {
	var book []string
	needGnet := false
	seen := map[string]bool{}
	for _, n := range names {
		m, _ := modeNamed(n)
		name := m.program
		if seen[name] {
			continue
		}
		seen[name] = true
		if name == "gnet" {
			needGnet = true
		} else {
			book = append(book, "./code/"+name)
		}
	}
	logf("building %s", strings.Join(append(book, map[bool]string{true: "gnet"}[needGnet]), " "))
	if len(book) > 0 {
		cmd := exec.Command("go", append([]string{"build", "-o", bin + "/"}, book...)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the book's servers: %w", err)
		}
	}
	if needGnet {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "gnet"), "./cmd/gnet")
		cmd.Dir, cmd.Stdout, cmd.Stderr = filepath.Join(root, "tools", "bench"), os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building gnet: %w", err)
		}
	}
	return nil
}

// pinSelf re-executes the benchmark under taskset on the generator's CPU, once, so that the
// load generator (this process) and the server never share a core.
func pinSelf() {
	if os.Getenv("FLAVORS_BENCH_PINNED") != "" || machineCPUs() < 2 {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		logf("taskset not found: server and generator are not pinned")
		return
	}
	env := append(os.Environ(), "FLAVORS_BENCH_PINNED=1")
	argv := append([]string{"taskset", "-c", "1", exe}, os.Args[1:]...)
	err = syscall.Exec(taskset, argv, env)
	logf("re-exec under taskset: %v", err)
}

func findRoot() string {
	dir, _ := os.Getwd()
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module flavors\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			fmt.Fprintln(os.Stderr, "bench: cannot find the book's go.mod (module flavors); use -root")
			os.Exit(2)
		}
		dir = parent
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// onCPU reports which CPUs this process may run on, for the record.
func onCPU() string {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return "?"
	}
	var cpus []string
	for i := range machineCPUs() {
		if set.IsSet(i) {
			cpus = append(cpus, fmt.Sprint(i))
		}
	}
	return strings.Join(cpus, ",")
}

// machineCPUs counts the machine's CPUs. runtime.NumCPU counts those this process may use,
// which after pinning is one.
func machineCPUs() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.NumCPU()
	}
	return strings.Count(string(b), "\nprocessor\t") + map[bool]int{true: 1}[strings.HasPrefix(string(b), "processor\t")]
}
