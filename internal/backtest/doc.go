// Package backtest runs scaling policies side by side on one load, each on
// its own copy of the simulated world, in parallel. It is what cmd/sim and
// cmd/replay share: building the policies from names and policy files
// (the oracle always among them), and running them into the timelines and
// results a report is made of.
package backtest
