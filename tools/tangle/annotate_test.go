package tangle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnnotateLine(t *testing.T) {
	root := book(t, map[string]string{"a.md": "# A\n\n" +
		fence("go file=code/x/x.go", "package x\n\nfunc f() {\n\t// <<body>>\n}\n") +
		fence("go chunk=body", "println(1)\n")})
	a, err := NewAnnotator(mustTangle(t, root), root)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(root)
	tests := []struct{ in, dir, want string }{
		// println(1) is line 6 of x.go, indented by one tab, from line 11 of a.md.
		{"code/x/x.go:6:2: undefined: println2", "", "chapters/a.md:11:1 (code/x/x.go:6:2): undefined: println2"},
		{"./code/x/x.go:6:9: boom", "", "chapters/a.md:11:8 (code/x/x.go:6:9): boom"},
		{"    x.go:5: want 1", "code/x", "    chapters/a.md:6 (code/x/x.go:5): want 1"},
		{"    x.go:5: no package given, but the name is unique", "", "    chapters/a.md:6 (code/x/x.go:5): no package given, but the name is unique"},
		{"\t" + abs + "/code/x/x.go:6 +0x1d", "", "\tchapters/a.md:11 (code/x/x.go:6) +0x1d"},
		{"code/x/x.go:1: the header line has no chapter", "", "code/x/x.go:1: the header line has no chapter"},
		{"/usr/local/go/src/testing/testing.go:1934 +0x10", "", "/usr/local/go/src/testing/testing.go:1934 +0x10"},
		{"other/y.go:3:1: not generated", "", "other/y.go:3:1: not generated"},
	}
	for _, tt := range tests {
		if got := a.Line(tt.in, tt.dir); got != tt.want {
			t.Errorf("Line(%q, %q)\n got %q\nwant %q", tt.in, tt.dir, got, tt.want)
		}
	}
}

func TestFilterRendersGoTestJSON(t *testing.T) {
	root := book(t, map[string]string{"a.md": fence("go file=code/x/x_test.go", "package x\n")})
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module demo\n"), 0o644)
	a, _ := NewAnnotator(mustTangle(t, root), root)
	in := `{"Action":"run","Package":"demo/code/x","Test":"TestOK"}
{"Action":"output","Package":"demo/code/x","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"demo/code/x","Test":"TestOK"}
{"Action":"output","Package":"demo/code/x","Test":"TestBad","Output":"    x_test.go:3: bad\n"}
{"Action":"fail","Package":"demo/code/x","Test":"TestBad"}
{"Action":"output","Package":"demo/code/x","Output":"FAIL\tdemo/code/x\t0.01s\n"}
{"Action":"fail","Package":"demo/code/x"}
not json at all
`
	var out bytes.Buffer
	sum, err := a.Filter(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "    chapters/a.md:2 (code/x/x_test.go:3): bad\nFAIL\tdemo/code/x\t0.01s\nnot json at all\ntests: 1 passed, 1 failed, 0 skipped\n"
	if out.String() != want {
		t.Errorf("filtered:\n%s\nwant:\n%s", out.String(), want)
	}
	if sum.Passed != 1 || sum.Failed != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

// TestErrorsPointAtTheBook runs the real go command on a tiny tangled book: a compile
// error, a vet finding, a failing assertion and a panic must each name the chapter line.
func TestErrorsPointAtTheBook(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is needed: ", err)
	}
	const good = "package demo\n\nfunc Sum(a, b int) int { return a + b }\n"
	const failing = "package demo\n\nimport \"testing\"\n\nfunc TestSum(t *testing.T) {\n\tif got := Sum(1, 2); got != 4 {\n\t\tt.Errorf(\"Sum(1, 2) = %d\", got)\n\t}\n}\n\nfunc TestPanic(t *testing.T) {\n\tvar m map[string]int\n\tm[\"x\"] = Sum(1, 1)\n}\n"
	cases := []struct {
		name, code, test string
		command          []string
		want             []string
	}{
		{
			name: "compile error", code: "package demo\n\nvar N int = \"three\"\n", test: "package demo\n",
			command: []string{"go", "test", "-json", "./..."},
			// Line 3 of the code block is line 8 of the chapter: the block opens at line 5.
			want: []string{"chapters/01-demo.md:8:13 (code/demo/demo.go:5:13)"},
		},
		{
			name: "vet finding", code: "package demo\n\nimport \"fmt\"\n\nvar S = fmt.Sprintf(\"%d\", \"x\")\n", test: "package demo\n",
			command: []string{"go", "vet", "./..."},
			want:    []string{"chapters/01-demo.md:10:22 (code/demo/demo.go:7:22)"},
		},
		{
			name: "failing assertion and panic", code: good, test: failing,
			command: []string{"go", "test", "-json", "./..."},
			// The test block opens at line 13 of the chapter, its code at 14 (see book below).
			want: []string{
				"chapters/01-demo.md:20 (code/demo/demo_test.go:9): Sum(1, 2) = 3",
				"chapters/01-demo.md:26 (code/demo/demo_test.go:15)",
				"tests: 0 passed, 2 failed",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := book(t, map[string]string{"01-demo.md": "---\ntitle: Demo\n---\n\n" +
				fence("go file=code/demo/demo.go", c.code) + "\nAnd its test:\n\n" +
				fence("go file=code/demo/demo_test.go", c.test)})
			os.WriteFile(filepath.Join(root, "go.mod"), []byte("module bookdemo\n\ngo 1.24\n"), 0o644)
			out := mustTangle(t, root)
			if _, _, err := out.Write(root); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(c.command[0], c.command[1:]...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
			raw, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("%v succeeded; the fixture must fail:\n%s", c.command, raw)
			}
			a, _ := NewAnnotator(out, root)
			var rewritten bytes.Buffer
			if _, err := a.Filter(bytes.NewReader(raw), &rewritten); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(rewritten.String(), w) {
					t.Errorf("output of %v, annotated:\n%s\nwant it to contain %q", c.command, rewritten.String(), w)
				}
			}
		})
	}
}
