package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"flavors/code/kv/conformance"
)

// The peer is only a fair yardstick if it keeps the same contract as the book's servers:
// it runs the book's whole conformance suite.
func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gnet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the gnet peer: %v\n%s", err, out)
	}
	conformance.Run(t, bin)
}
