package main

import (
	"fmt"
	"os"

	"golang.org/x/perf/benchfmt"
)

// writeBenchfmt writes every measurement, round by round, in the Go benchmark format, so
// that a reader can run benchstat on them (benchstat -col /server c10k-bench.txt) and check
// our statistics with the tool everyone uses.
func writeBenchfmt(res results, p plan, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := benchfmt.NewWriter(f)
	config := []benchfmt.Config{
		{Key: "goos", Value: []byte("linux"), File: true},
		{Key: "cpu", Value: []byte(res.Machine.CPU), File: true},
		{Key: "kernel", Value: []byte(res.Machine.Kernel), File: true},
		{Key: "go", Value: []byte(res.Machine.Go), File: true},
		{Key: "pinning", Value: []byte(res.Machine.Pinning), File: true},
	}
	write := func(name string, iters int64, values ...benchfmt.Value) error {
		return w.Write(&benchfmt.Result{Config: config, Name: benchfmt.Name(name), Iters: int(max(iters, 1)), Values: values})
	}
	for _, tr := range res.Throughput {
		for _, r := range tr.Runs {
			if r.Failure != "" || r.PerSecond == 0 {
				continue
			}
			err := write(fmt.Sprintf("Throughput/conns=%d/depth=%d/server=%s", tr.Conns, tr.Depth, r.Mode), int64(r.PerSecond*p.duration.Seconds()),
				benchfmt.Value{Value: r.PerSecond, Unit: "req/s"},
				benchfmt.Value{Value: r.P50us * 1e-6, Unit: "p50-sec"},
				benchfmt.Value{Value: r.P99us * 1e-6, Unit: "p99-sec"},
				benchfmt.Value{Value: r.CPUPerReqUs * 1e-6, Unit: "server-sec/req"},
				benchfmt.Value{Value: r.Others, Unit: "others-%"})
			if err != nil {
				return err
			}
		}
	}
	for _, rr := range res.Ramp {
		for _, st := range rr.Steps {
			if st.Failure != "" {
				continue
			}
			err := write(fmt.Sprintf("Ramp/server=%s/idle=%d", rr.Mode, st.Target), int64(st.Held),
				benchfmt.Value{Value: float64(st.RSSKiB) * 1024, Unit: "rss-B"},
				benchfmt.Value{Value: float64(st.Threads), Unit: "threads"},
				benchfmt.Value{Value: st.CPU, Unit: "cpu-%"},
				benchfmt.Value{Value: st.PerSecond, Unit: "req/s"},
				benchfmt.Value{Value: st.Intended, Unit: "intended-req/s"},
				benchfmt.Value{Value: st.P99us * 1e-6, Unit: "p99-sec"})
			if err != nil {
				return err
			}
		}
	}
	for _, c := range res.Churn {
		for i, st := range c.Steps {
			err := write(fmt.Sprintf("Churn/server=%s/round=%d", c.Mode, i+1), int64(st.Held),
				benchfmt.Value{Value: st.PerConn * 1024, Unit: "rss-B/conn"})
			if err != nil {
				return err
			}
		}
	}
	return f.Close()
}
