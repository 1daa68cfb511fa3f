package tangle

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Annotator rewrites positions in tool output (go build, go vet, go test, a panic's
// stack trace) from generated files to the chapters they came from:
//
//	code/kv/frame.go:12:3: undefined: x
//
// becomes
//
//	chapters/01-overview.md:140:3 (code/kv/frame.go:12:3): undefined: x
type Annotator struct {
	out    *Output
	root   string // absolute, to shorten absolute paths in stack traces
	module string // the module path, to turn a package into its directory
}

// NewAnnotator returns an annotator for the book at root.
func NewAnnotator(o *Output, root string) (*Annotator, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	a := &Annotator{out: o, root: abs}
	if mod, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		if m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(mod); m != nil {
			a.module = string(m[1])
		}
	}
	return a, nil
}

var position = regexp.MustCompile(`([A-Za-z0-9_./@+-]*[A-Za-z0-9_+-]\.(?:go|proto|s)):(\d+)(?::(\d+))?`)

// Line rewrites every position in one line of output. dir is the directory of the
// package the line is about ("code/kv"), used for bare file names as go test prints
// them; it may be "".
func (a *Annotator) Line(s, dir string) string {
	return position.ReplaceAllStringFunc(s, func(m string) string {
		sub := position.FindStringSubmatch(m)
		file := a.resolve(sub[1], dir)
		if file == "" {
			return m
		}
		line, _ := strconv.Atoi(sub[2])
		col, _ := strconv.Atoi(sub[3])
		at, ok := a.out.Locate(file, line, col)
		if !ok {
			return m
		}
		where, generated := fmt.Sprintf("%s:%d", at.File, at.Line), fmt.Sprintf("%s:%d", file, line)
		if col > 0 {
			where += fmt.Sprintf(":%d", at.Col)
			generated += fmt.Sprintf(":%d", col)
		}
		return where + " (" + generated + ")"
	})
}

// resolve finds the generated file a path in tool output means, or "".
func (a *Annotator) resolve(p, dir string) string {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "/") {
		rel, err := filepath.Rel(a.root, filepath.FromSlash(p))
		if err != nil || strings.HasPrefix(rel, "..") {
			return ""
		}
		p = filepath.ToSlash(rel)
	}
	p = strings.TrimPrefix(p, "./")
	if _, ok := a.out.Files[p]; ok {
		return p
	}
	if dir != "" {
		if q := path.Join(dir, p); a.out.Files[q] != nil {
			return q
		}
	}
	if strings.Contains(p, "/") {
		return ""
	}
	found := ""
	for name := range a.out.Files {
		if path.Base(name) == p {
			if found != "" {
				return "" // ambiguous without the package
			}
			found = name
		}
	}
	return found
}

// dirOf turns an import path into the package's directory under the root.
func (a *Annotator) dirOf(pkg string) string {
	pkg, _, _ = strings.Cut(pkg, " ") // "flavors/code/kv [flavors/code/kv.test]"
	if a.module == "" || !strings.HasPrefix(pkg, a.module+"/") {
		return ""
	}
	return strings.TrimPrefix(pkg, a.module+"/")
}

// Summary counts the tests seen in go test -json output.
type Summary struct {
	Passed, Failed, Skipped int
	BuildFailed             bool
	SawTests                bool
}

// testEvent is one line of go test -json (see go doc test2json).
type testEvent struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

// Filter copies r to w, rewriting positions. It also reads go test -json, printing
// it as go test would (a failing test's output, every package's result line), so
// that bare file names can be resolved against the package they belong to.
func (a *Annotator) Filter(r io.Reader, w io.Writer) (Summary, error) {
	var sum Summary
	held := map[string][]string{} // output of tests still running, shown if they fail
	in := bufio.NewReader(r)
	for {
		raw, err := in.ReadString('\n')
		if raw != "" {
			var ev testEvent
			if strings.HasPrefix(raw, "{") && json.Unmarshal([]byte(raw), &ev) == nil && ev.Action != "" {
				a.event(w, ev, held, &sum)
			} else {
				fmt.Fprint(w, a.Line(raw, ""))
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, err
		}
	}
	if sum.SawTests {
		fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", sum.Passed, sum.Failed, sum.Skipped)
	}
	return sum, nil
}

func (a *Annotator) event(w io.Writer, ev testEvent, held map[string][]string, sum *Summary) {
	dir := a.dirOf(ev.Package)
	key := ev.Package + "\x00" + ev.Test
	switch {
	case ev.Action == "build-output":
		fmt.Fprint(w, a.Line(ev.Output, a.dirOf(ev.ImportPath)))
	case ev.Action == "build-fail":
		sum.BuildFailed = true
	case ev.Action == "output" && ev.Test == "":
		if ev.Output != "PASS\n" {
			fmt.Fprint(w, a.Line(ev.Output, dir))
		}
	case ev.Action == "output":
		held[key] = append(held[key], ev.Output)
	case ev.Test == "":
	case ev.Action == "pass":
		sum.Passed++
		sum.SawTests = true
		delete(held, key)
	case ev.Action == "skip":
		sum.Skipped++
		sum.SawTests = true
		delete(held, key)
	case ev.Action == "fail":
		sum.Failed++
		sum.SawTests = true
		for _, l := range held[key] {
			fmt.Fprint(w, a.Line(l, dir))
		}
		delete(held, key)
	}
}
