// Command loadgen loads a key-value server from the book with the book's own load generator
// (flavors/code/loadgen) and prints one line of results.
//
//	go -C tools/bench run ./cmd/loadgen -addr 127.0.0.1:7070 -c 50 -d 16 -duration 5s
//	go -C tools/bench run ./cmd/loadgen -addr 127.0.0.1:7070 -ramp 100,1000,5000,10000
//
// While it runs, a progress line on standard error shows the rate of the last second.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"flavors/code/loadgen"

	"golang.org/x/sys/unix"
)

func main() {
	var cfg loadgen.Config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:7070", "server address")
	flag.IntVar(&cfg.Conns, "c", 50, "connections (with -ramp: active clients)")
	flag.IntVar(&cfg.Depth, "d", 1, "requests in flight per connection")
	flag.IntVar(&cfg.Keys, "keys", 1000, "distinct keys")
	flag.Float64Var(&cfg.GetRatio, "get", 0.9, "fraction of requests that are gets")
	flag.IntVar(&cfg.ValueSize, "value", 16, "bytes per value")
	flag.Float64Var(&cfg.Rate, "rate", 0, "requests/s per connection, one at a time (0: as fast as answered)")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured warm-up")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured window")
	ramp := flag.String("ramp", "", "comma-separated idle connection counts: hold that many idle connections, then probe with -c active clients")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *ramp != "" {
		steps, err := parseSteps(*ramp)
		if err != nil {
			fatal(err)
		}
		runRamp(ctx, cfg, steps, *asJSON)
		return
	}
	res, err := loadgen.Run(ctx, cfg, progressLine())
	clearProgress()
	if err != nil {
		fatal(err)
	}
	if *asJSON {
		printJSON(summary(cfg, 0, res))
		return
	}
	fmt.Printf("addr %s  conns %d  depth %d  get %.2f  %v: %v\n",
		cfg.Addr, cfg.Conns, cfg.Depth, cfg.GetRatio, res.Elapsed.Round(time.Millisecond), res)
	if res.Err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: first connection failure:", res.Err)
	}
}

func runRamp(ctx context.Context, cfg loadgen.Config, steps []int, asJSON bool) {
	r, err := loadgen.NewRamp(ctx, cfg)
	if err != nil {
		fatal(err)
	}
	defer r.Close()
	fmt.Fprintf(os.Stderr, "loadgen: descriptor limit %d\n", loadgen.RaiseFileLimit())
	for _, n := range steps {
		err := r.Grow(ctx, n)
		res := r.Probe(ctx, cfg.Duration)
		if asJSON {
			printJSON(summary(cfg, r.Idle(), res))
		} else {
			fmt.Printf("idle %6d  refused %5d  active %d: %v\n", r.Idle(), r.Refused(), cfg.Conns, res)
		}
		if err != nil {
			fatal(fmt.Errorf("growing to %d idle connections: %w", n, err))
		}
	}
}

func parseSteps(s string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad -ramp step %q", f)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

type jsonResult struct {
	Addr      string  `json:"addr"`
	Conns     int     `json:"conns"`
	Depth     int     `json:"depth"`
	Idle      int     `json:"idle,omitempty"`
	Seconds   float64 `json:"seconds"`
	Requests  int64   `json:"requests"`
	PerSecond float64 `json:"req_per_s"`
	P50us     float64 `json:"p50_us"`
	P99us     float64 `json:"p99_us"`
	P999us    float64 `json:"p999_us"`
	Errors    int64   `json:"errors"`
	Err       string  `json:"error,omitempty"`
}

func summary(cfg loadgen.Config, idle int, res loadgen.Result) jsonResult {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	j := jsonResult{
		Addr: cfg.Addr, Conns: cfg.Conns, Depth: cfg.Depth, Idle: idle,
		Seconds: res.Elapsed.Seconds(), Requests: res.Requests, PerSecond: res.PerSecond(),
		P50us: us(res.P50), P99us: us(res.P99), P999us: us(res.P999), Errors: res.Errors,
	}
	if res.Err != nil {
		j.Err = res.Err.Error()
	}
	return j
}

func printJSON(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// progressLine writes the running rate to standard error: rewritten in place on a terminal,
// one line per report otherwise.
func progressLine() func(loadgen.Progress) {
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	terminal := err == nil
	return func(p loadgen.Progress) {
		if p.Phase == "done" || p.Elapsed == 0 {
			return
		}
		line := fmt.Sprintf("%-9s %5.1fs  %9.0f req/s  answers %d  errors %d",
			p.Phase, p.Elapsed.Seconds(), p.PerSecond, p.Requests, p.Errors)
		if terminal {
			fmt.Fprintf(os.Stderr, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(os.Stderr, line)
		}
	}
}

func clearProgress() {
	if _, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS); err == nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
