package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A recording is a run's events, one JSON object per line, made by this same runner:
// chapters/recordings/SCENARIO-MODE.jsonl. The page shows it (labelled "recorded") until the
// reader presses Run.
func recordingName(scenario, mode string) string { return scenario + "-" + mode + ".jsonl" }

// recordAll runs every chapter's scenario on every mode it offers, with the default
// options, and writes the recordings. only, when given, names the recordings to make.
func recordAll(ctx context.Context, r *runner, only []string) error {
	b, err := loadBook(r.root)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.root, "chapters", "recordings")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	failed := 0
	made := map[string]bool{}
	for _, c := range b.Chapters {
		scen, modes, err := runnable(b, c)
		if err != nil {
			return err
		}
		for _, mode := range modes {
			name := recordingName(scen.Name, mode)
			made[name] = true
			if len(only) > 0 && !slices.Contains(only, strings.TrimSuffix(name, ".jsonl")) {
				continue
			}
			fmt.Printf("recording %s … ", name)
			last, err := record(ctx, r, scen, mode, filepath.Join(dir, name))
			if err != nil {
				return err
			}
			fmt.Println(last)
			if last != "the scenario is over" {
				failed++
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d recordings did not finish their scenario", failed)
	}
	return removeStale(dir, made)
}

// removeStale deletes the recordings no chapter shows any more (a mode dropped from a
// chapter, a scenario renamed), as tangle does with the files no chapter makes.
func removeStale(dir string, made map[string]bool) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return err
	}
	for _, path := range old {
		if !made[filepath.Base(path)] {
			fmt.Printf("removing %s: no chapter shows it\n", filepath.Base(path))
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// record makes one recording and returns how the run ended.
func record(ctx context.Context, r *runner, scen *scenario, mode, path string) (string, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var end string
	rn, err := r.startRun(ctx, mode, scen, scen.options(runOptions{Slow: true}), func(e event) {
		_ = enc.Encode(e)
		if e.Type == "end" {
			end = e.Text
		}
	})
	if err != nil {
		f.Close()
		return "", err
	}
	<-rn.done
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return end, os.Rename(tmp, path)
}
