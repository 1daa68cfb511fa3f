// Command tangle writes the code blocks of the book's chapters into code/.
// The syntax of the blocks is described in package flavors/tools/tangle.
//
//	tangle              write code/ from chapters/ (only files that changed)
//	tangle -check       fail, naming the chapter to edit, if code/ differs from the book
//	tangle -annotate    copy standard input to standard output, rewriting positions in
//	                    generated files (go vet, go test -json, …) to chapter lines
package main

import (
	"flag"
	"fmt"
	"os"

	"flavors/tools/tangle"
)

func main() {
	root := flag.String("root", ".", "the book's root: the directory holding chapters/ and code/")
	check := flag.Bool("check", false, "compare code/ with the chapters instead of writing it")
	annotate := flag.Bool("annotate", false, "rewrite positions in generated files on standard input to chapter lines")
	verbose := flag.Bool("v", false, "name every file written or removed")
	flag.Parse()

	chapters, err := tangle.ReadChapters(*root)
	if err != nil {
		fail(err)
	}
	out, err := tangle.Tangle(chapters)
	if err != nil {
		fail(err)
	}
	switch {
	case *annotate:
		a, err := tangle.NewAnnotator(out, *root)
		if err != nil {
			fail(err)
		}
		sum, err := a.Filter(os.Stdin, os.Stdout)
		if err != nil {
			fail(err)
		}
		if sum.Failed > 0 || sum.BuildFailed {
			os.Exit(1)
		}
	case *check:
		problems := out.Check(*root)
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		if len(problems) > 0 {
			fmt.Fprintf(os.Stderr, "tangle: code/ does not match the chapters (%d to fix)\n", len(problems))
			os.Exit(1)
		}
	default:
		written, removed, err := out.Write(*root)
		if err != nil {
			fail(err)
		}
		if *verbose {
			for _, f := range written {
				fmt.Println("wrote", f)
			}
			for _, f := range removed {
				fmt.Println("removed", f)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
