// Package progress draws a one-line progress bar on a terminal.
//
// A Bar shows nothing until the work has run for a second, and nothing at
// all when its writer is not a terminal, so piped and logged output stay
// clean.
package progress
