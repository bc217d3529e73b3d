// Package sweep runs a grid of backtests — policy variants × traces ×
// seeds — split into shards that separate processes (or machines) run,
// each writing one Parquet file of scores, and merges the shards back.
//
// A grid file (YAML or JSON, docs/sweep.md) lists traces, policies whose
// list-valued params are swept (the cross product of the lists gives the
// variants) and optional seeds. The cells are numbered in a fixed order:
// variants (in file order, then by the sorted param keys' lists) outermost,
// then traces, then seeds. Shard i of n runs the cells whose index % n == i.
package sweep
