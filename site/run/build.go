package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"flavors/internal/proc"
	"flavors/tools/tangle"
)

// buildLocks keeps two runs from building the same binary at once.
type buildLocks struct {
	mu    sync.Mutex
	modes map[string]*sync.Mutex
}

func (b *buildLocks) lock(mode string) func() {
	b.mu.Lock()
	if b.modes == nil {
		b.modes = map[string]*sync.Mutex{}
	}
	m := b.modes[mode]
	if m == nil {
		m = &sync.Mutex{}
		b.modes[mode] = m
	}
	b.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// build makes bin/MODE if it is missing or older than the tangled code it comes from,
// streaming go build's output with each error pointed at the chapter line that wrote it.
func (rn *Run) build() error {
	root, mode := rn.rn.root, rn.spec.Mode
	defer rn.rn.builds.lock(mode)()
	bin := filepath.Join(rn.rn.bin, mode)
	stale, err := binaryStale(root, mode, bin)
	if err != nil {
		return err
	}
	if !stale {
		rn.emit(Event{Type: "status", Status: "built", Text: "bin/" + mode + " is up to date"})
		return nil
	}
	rn.emit(Event{Type: "status", Status: "building", Text: "go build -o bin/" + mode + " ./code/" + mode})
	if err := os.MkdirAll(rn.rn.bin, 0o755); err != nil {
		return err
	}
	// Build beside the binary and rename over it: a server still running from the old file,
	// or a concurrent make build, never sees half a binary.
	tmp := fmt.Sprintf("%s.building-%d", bin, os.Getpid())
	defer os.Remove(tmp)
	// -v names each package as it is compiled: the build's progress, on the page.
	cmd := exec.Command("go", "build", "-v", "-o", tmp, "./code/"+mode)
	cmd.Dir = root
	toChapter := chapterLines(root)
	out := func(line string) {
		rn.emit(Event{Type: "build", Text: toChapter(line, "code/"+mode)})
	}
	p, err := proc.Start(cmd, out, out)
	if err != nil {
		return err
	}
	if err := rn.awaitBuild(p); err != nil {
		return err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return err
	}
	rn.emit(Event{Type: "status", Status: "built", Text: "bin/" + mode})
	return nil
}

// chapterLines returns what rewrites a line of go build's output from the tangled file to
// the chapter line that wrote it (the tangler's annotator, as make build uses it). If the
// chapters do not tangle, lines are left as they are: the build's own error still shows.
func chapterLines(root string) func(line, dir string) string {
	same := func(line, _ string) string { return line }
	chapters, err := tangle.ReadChapters(root)
	if err != nil {
		return same
	}
	out, err := tangle.Tangle(chapters)
	if err != nil {
		return same
	}
	a, err := tangle.NewAnnotator(out, root)
	if err != nil {
		return same
	}
	return a.Line
}

// awaitBuild waits for go build, or kills it (and the compilers it started) when the run is
// cut short.
func (rn *Run) awaitBuild(p *proc.Process) error {
	select {
	case <-p.Exited():
	case <-rn.ctx.Done():
		_ = p.Kill()
		return context.Cause(rn.ctx)
	}
	if err := p.Reap(); err != nil {
		return err
	}
	if p.State().ExitCode() != 0 {
		return errors.New("go build failed; its errors are above, at the chapter lines to edit")
	}
	return nil
}

// binaryStale says whether bin is missing or older than a source it is built from: the
// mode's own package and every package under code/ that is not another mode's (the shared
// kv, sock and eventloop packages), plus go.mod and go.sum.
func binaryStale(root, mode, bin string) (bool, error) {
	info, err := os.Stat(bin)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	newest, err := newestSource(root, mode)
	if err != nil {
		return false, err
	}
	return newest.After(info.ModTime()), nil
}

func newestSource(root, mode string) (time.Time, error) {
	var newest time.Time
	note := func(info fs.FileInfo) {
		if info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if info, err := os.Stat(filepath.Join(root, f)); err == nil {
			note(info)
		}
	}
	code := filepath.Join(root, "code")
	others := otherModes(root, mode)
	err := filepath.WalkDir(code, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && filepath.Dir(path) == code && others[d.Name()] {
			return filepath.SkipDir
		}
		if info, err := d.Info(); err == nil {
			note(info)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return newest, err
}

// otherModes are the modes of the book other than mode: their code cannot change this one.
func otherModes(root, mode string) map[string]bool {
	others := map[string]bool{}
	chapters, err := tangle.ReadChapters(root)
	if err != nil {
		return others
	}
	for _, c := range chapters {
		for _, m := range c.Servers() {
			if m != mode {
				others[m] = true
			}
		}
	}
	return others
}
