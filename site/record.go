package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"flavors/site/render"
	"flavors/site/run"
)

// recordAll runs every chapter's scenario on every mode it offers, with the default
// options, and writes the recordings the Run panels show before Run. only, when given,
// names the recordings to make (SCENARIO-MODE).
func recordAll(ctx context.Context, root string, r *run.Runner, only []string) error {
	b, err := render.Load(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(b.RecordingsDir(), 0o755); err != nil {
		return err
	}
	failed := 0
	var broken []error
	made := map[string]bool{}
	for _, c := range b.Chapters {
		scen, err := runnable(c)
		if err != nil {
			// One chapter's broken panel leaves the others' recordings to be made.
			broken = append(broken, err)
			continue
		}
		if scen == nil {
			continue
		}
		for _, mode := range c.Servers {
			path := b.RecordingPath(scen.Name, mode)
			name := filepath.Base(path)
			made[name] = true
			if len(only) > 0 && !slices.Contains(only, strings.TrimSuffix(name, ".jsonl")) {
				continue
			}
			fmt.Printf("recording %s … ", name)
			spec := run.Spec{Mode: mode, Scenario: scen, Options: scen.Options(run.Options{Slow: true}), Watch: c.Watch(mode)}
			last, err := r.Record(ctx, spec, path)
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
		broken = append(broken, fmt.Errorf("%d recordings did not finish their scenario", failed))
	}
	if len(broken) > 0 {
		// Stale recordings are removed only after a run that made every one.
		return errors.Join(broken...)
	}
	return removeStale(b.RecordingsDir(), made)
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
