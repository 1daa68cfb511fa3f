package main

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
func (rn *run) build() error {
	root := rn.rn.root
	defer rn.rn.builds.lock(rn.mode)()
	bin := filepath.Join(rn.rn.bin, rn.mode)
	stale, err := binaryStale(root, rn.mode, bin)
	if err != nil {
		return err
	}
	if !stale {
		rn.emit(event{Type: "status", Status: "built", Text: "bin/" + rn.mode + " is up to date"})
		return nil
	}
	rn.emit(event{Type: "status", Status: "building", Text: "go build -o bin/" + rn.mode + " ./code/" + rn.mode})
	if err := os.MkdirAll(rn.rn.bin, 0o755); err != nil {
		return err
	}
	// Build beside the binary and rename over it: a server still running from the old file,
	// or a concurrent make build, never sees half a binary.
	tmp := fmt.Sprintf("%s.building-%d", bin, os.Getpid())
	defer os.Remove(tmp)
	// -v names each package as it is compiled: the build's progress, on the page.
	cmd := exec.Command("go", "build", "-v", "-o", tmp, "./code/"+rn.mode)
	cmd.Dir = root
	toChapter := chapterLines(root)
	out := newLineWriter(func(line string) {
		rn.emit(event{Type: "build", Text: toChapter(line, "code/"+rn.mode)})
	})
	p, err := startProcess(cmd, out, out)
	if err != nil {
		return err
	}
	if err := rn.awaitBuild(p); err != nil {
		return err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return err
	}
	rn.emit(event{Type: "status", Status: "built", Text: "bin/" + rn.mode})
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
func (rn *run) awaitBuild(p *process) error {
	select {
	case <-p.exited:
	case <-rn.ctx.Done():
		_ = p.kill()
		return context.Cause(rn.ctx)
	}
	if err := p.reap(); err != nil {
		return err
	}
	if p.exitCode() != 0 {
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
	b, err := loadBook(root)
	if err != nil {
		return others
	}
	for _, m := range b.modes() {
		if m != mode {
			others[m] = true
		}
	}
	return others
}
