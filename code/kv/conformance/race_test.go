//go:build race

package conformance_test

// raceEnabled: these tests run with the race detector, so the servers are
// built with it too.
const raceEnabled = true
