//go:build race

package forecast

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = true
