//go:build race

package nodetest

// raceEnabled reports whether the test binary runs with the race detector.
const raceEnabled = true
