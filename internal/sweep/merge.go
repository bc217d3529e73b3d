package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"
	"gonum.org/v1/plot/vg"

	"github.com/omnixan/omnixan/reports"
)

// Files written by WriteMerged.
const (
	MergedFile  = "sweep.parquet"
	SummaryJSON = "sweep.json"
	SummaryMD   = "sweep.md"
	PlotFile    = "spend-vs-slo.png"
)

// MergedSummary is the content of sweep.json.
type MergedSummary struct {
	Grid   string `json:"grid"`   // Grid.Hash of the sweep
	Shards int    `json:"shards"` // shard count
	Cells  int    `json:"cells"`
	Rows   []Row  `json:"rows"` // by cell index
	// Oracle holds the oracle's scores per trace and seed.
	Oracle []OracleScore `json:"oracle"`
}

// OracleScore is the oracle's spend and SLO misses on one trace and seed.
type OracleScore struct {
	Trace          string  `json:"trace"`
	Seed           uint64  `json:"seed"`
	SpendUSD       float64 `json:"spend_usd"`
	SLOMissMinutes float64 `json:"slo_miss_minutes"`
}

// WriteMerged writes into dir the merged rows (sweep.parquet), sweep.json,
// sweep.md (a Markdown table by cell) and spend-vs-slo.png (every cell,
// the oracle marked), each atomically.
func WriteMerged(dir string, shards []*ShardData, rows []Row) error {
	sum := MergedSummary{Grid: shards[0].Grid, Shards: shards[0].Shard.N, Cells: len(rows), Rows: rows}
	var cells, oracles []reports.PolicySummary
	for _, r := range rows {
		name := r.Label
		if multiTrace(rows) {
			name += " @ " + filepath.Base(r.Trace)
		}
		cells = append(cells, r.Summary(name))
		o := OracleScore{Trace: r.Trace, Seed: r.Seed, SpendUSD: r.OracleSpendUSD, SLOMissMinutes: r.OracleSLOMissMinutes}
		if !slices.ContainsFunc(sum.Oracle, func(x OracleScore) bool { return x.Trace == o.Trace && x.Seed == o.Seed }) {
			sum.Oracle = append(sum.Oracle, o)
			oracles = append(oracles, reports.PolicySummary{Name: "oracle", SpendUSD: o.SpendUSD, SLOMissMinutes: o.SLOMissMinutes})
		}
	}
	if err := reports.WriteFile(filepath.Join(dir, MergedFile), func(w io.Writer) error {
		return parquet.Write(w, rows, parquet.Compression(&parquet.Zstd))
	}); err != nil {
		return err
	}
	if err := reports.WriteFile(filepath.Join(dir, SummaryJSON), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}); err != nil {
		return err
	}
	if err := reports.WriteFile(filepath.Join(dir, SummaryMD), func(w io.Writer) error { return writeMarkdown(w, sum) }); err != nil {
		return err
	}
	p, err := reports.SweepSpendVsSLO(fmt.Sprintf("Spend vs SLO misses: %d cells", len(rows)), cells, oracles)
	if err != nil {
		return err
	}
	return reports.SavePNG(p, 20*vg.Centimeter, 14*vg.Centimeter, filepath.Join(dir, PlotFile))
}

func multiTrace(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return r.Trace != rows[0].Trace })
}

func writeMarkdown(w io.Writer, s MergedSummary) error {
	fmt.Fprintf(w, "# Sweep: %d cells in %d shards (grid %s)\n\n", s.Cells, s.Shards, s.Grid)
	fmt.Fprintln(w, "| cell | trace | policy | seed | spend (USD) | SLO miss (min) | scale actions | mean instances | oracle spend (USD) | oracle SLO miss (min) |")
	fmt.Fprintln(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range s.Rows {
		fmt.Fprintf(w, "| %d | %s | `%s` | %d | %.2f | %.1f | %d | %.2f | %.2f | %.1f |\n", r.Cell, filepath.Base(r.Trace), r.Label, r.Seed,
			r.SpendUSD, r.SLOMissMinutes, r.ScaleActions, r.MeanInstances, r.OracleSpendUSD, r.OracleSLOMissMinutes)
	}
	_, err := fmt.Fprintln(w)
	return err
}
