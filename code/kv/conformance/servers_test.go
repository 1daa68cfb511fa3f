package conformance_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"flavors/code/kv/conformance"
)

// servers are the modes under test, one per server chapter.
var servers = []string{
	// Each server chapter appends its mode here.
}

// binDir holds the server programs, built once for the whole test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "conformance")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	err = build(dir)
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles every server into dir with one go build, with the race
// detector when these tests have it: a data race in a server is a bug the
// suite should catch, and it can only be caught inside the server.
func build(dir string) error {
	if len(servers) == 0 {
		return nil
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	for _, mode := range servers {
		args = append(args, "flavors/code/"+mode)
	}
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the servers: %v", err)
	}
	return nil
}

func TestServers(t *testing.T) {
	for _, mode := range servers {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			conformance.Run(t, filepath.Join(binDir, mode))
		})
	}
}
