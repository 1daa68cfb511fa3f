package wal

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// crashRun commits batches of records into a fresh directory that compacts every few
// hundred bytes, twice over, and stops dead after step crashAt of the new logs and
// compactions (0: never), as a process killed there would: nothing after that step
// happens. It returns the steps it saw and the records it committed. broken, if not nil,
// is called at every step first: it stands for a compaction written wrong.
func crashRun(t *testing.T, path string, crashAt int, broken func(path, step string)) (steps, committed []string) {
	t.Helper()
	d, _, err := Open(path, Options{NewState: newHistory, CompactAt: 300})
	if err != nil {
		t.Fatal(err)
	}
	crashed := make(chan struct{})
	d.after = func(step string) {
		steps = append(steps, step)
		if broken != nil {
			broken(path, step)
		}
		if len(steps) == crashAt {
			close(crashed)
			runtime.Goexit() // the goroutine at this step dies; the files stay as they are
		}
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; i < 60; i += 6 {
			batch := numbered(i, i+6)
			var encoded []byte
			for _, b := range batch {
				encoded = AppendRecord(encoded, []byte(b))
			}
			// Every step comes after the batch is on disk: from here on, a crash
			// must not lose it.
			committed = append(committed, batch...)
			if err := d.Commit(encoded); err != nil {
				t.Error(err)
				return
			}
			// One step at a time: let a compaction finish before the next commit.
			if !waitCompaction(d, crashed) {
				return
			}
		}
	}()
	select {
	case <-finished:
	case <-crashed:
		<-finished
	}
	// The process is gone: so are its descriptors and its lock.
	d.log.Close()
	d.dir.Close()
	return steps, committed
}

// recoverAll opens the directory after a crash, lets a compaction it restarts finish,
// and opens it again: both times it must hold exactly what was committed.
func recoverAll(t *testing.T, path string, committed []string) error {
	for range 2 {
		d, state, err := Open(path, Options{NewState: newHistory})
		if err != nil {
			return err
		}
		got := state.(*history).bodies
		finished := waitCompaction(d, nil)
		d.Close()
		if !finished {
			return errors.New("the compaction recovery started did not finish")
		}
		if !slices.Equal(got, committed) {
			return &mismatch{got, committed}
		}
	}
	return nil
}

// waitCompaction waits until no compaction runs, and reports whether that happened
// before stop was closed or a generous bound passed (a compaction that failed never
// finishes: it leaves compaction off).
func waitCompaction(d *Dir, stop chan struct{}) bool {
	bound := time.After(time.Minute)
	for d.compacting.Load() {
		select {
		case <-stop:
			return false
		case <-bound:
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

type mismatch struct{ got, want []string }

func (m *mismatch) Error() string {
	return "recovered " + strings.Join(m.got, ", ") + "; want " + strings.Join(m.want, ", ")
}

// TestCompactionCrashAtEveryStep kills a compaction (and the start of a new log) after
// every step that reaches the disk, in turn, and recovers: every committed record must be
// there once, in order, and no temporary file may survive the recovery's compaction.
func TestCompactionCrashAtEveryStep(t *testing.T) {
	steps, _ := crashRun(t, t.TempDir(), 0, nil)
	if len(steps) < 20 {
		t.Fatalf("only %d steps: the run did not compact twice: %q", len(steps), steps)
	}
	for i := 1; i <= len(steps); i++ {
		path := t.TempDir()
		_, committed := crashRun(t, path, i, nil)
		if err := recoverAll(t, path, committed); err != nil {
			t.Fatalf("crash after step %d (%s): %v", i, steps[i-1], err)
		}
		names, _ := filepath.Glob(filepath.Join(path, "*.tmp"))
		if len(names) > 0 {
			t.Fatalf("crash after step %d (%s): %q left behind", i, steps[i-1], names)
		}
	}
}

// TestCompactionCrashCheckBites runs the same crashes against a compaction that removes
// the old log as soon as it starts writing the snapshot: some crash must lose data.
func TestCompactionCrashCheckBites(t *testing.T) {
	removeEarly := func(path, step string) {
		if step == "create "+snapshotName(2)+".tmp" {
			os.Remove(filepath.Join(path, logName(1)))
		}
	}
	steps, _ := crashRun(t, t.TempDir(), 0, nil)
	for i := 1; i <= len(steps); i++ {
		path := t.TempDir()
		_, committed := crashRun(t, path, i, removeEarly)
		if recoverAll(t, path, committed) != nil {
			return
		}
	}
	t.Fatal("no crash caught a compaction that removes the old log before its snapshot is in place")
}
