package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"flavors/code/kv/conformance"
)

// The peer is only a fair yardstick if it keeps the same contract as the book's servers:
// it runs the book's conformance suite, but for what gnet cannot do.
//
// gnet reads every readable socket into an elastic inbound buffer before the handler sees
// the bytes (eventloop.read in gnet v2.10.0), and its writes go to an elastic outbound
// buffer; it has no way to stop reading a connection. So a client that sends without
// reading grows the peer without bound, which is the backpressure chapter's failure, and
// the peer has no idle timeout. It is a peer for throughput, not a model server.
func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gnet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the gnet peer: %v\n%s", err, out)
	}
	conformance.RunExcept(t, bin, map[string]string{
		"amplification":         "gnet cannot stop reading a connection: its buffers grow",
		"never-reading-clients": "gnet cannot stop reading a connection: its buffers grow",
		"idle-timeout":          "the peer has no -idle-timeout",
	})
}
