// Package cli holds what OMNIXAN's commands share: the mapping of errors
// to exit codes and the terminal check for progress bars.
package cli
