package sweep

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/omnixan/omnixan/reports"
)

// Row is one cell's scores: a row of a shard's Parquet file. The scores
// are those of summary.json (reports.PolicySummary), in the same units.
type Row struct {
	Cell                int64   `parquet:"cell" json:"cell"`
	Trace               string  `parquet:"trace,dict" json:"trace"`
	Policy              string  `parquet:"policy,dict" json:"policy"`
	Label               string  `parquet:"label" json:"label"`
	Params              string  `parquet:"params" json:"params"` // JSON object
	Seed                uint64  `parquet:"seed" json:"seed"`
	CapacityPerInstance float64 `parquet:"capacity_per_instance" json:"capacity_per_instance"`
	SpendUSD            float64 `parquet:"spend_usd" json:"spend_usd"`
	SLOMissMinutes      float64 `parquet:"slo_miss_minutes" json:"slo_miss_minutes"`
	SLOMissFraction     float64 `parquet:"slo_miss_fraction" json:"slo_miss_fraction"`
	ScaleActions        int64   `parquet:"scale_actions" json:"scale_actions"`
	MeanInstances       float64 `parquet:"mean_instances" json:"mean_instances"`
	PeakInstances       int64   `parquet:"peak_instances" json:"peak_instances"`
	OverprovisionRatio  float64 `parquet:"overprovision_ratio" json:"overprovision_ratio"`
	BudgetBreachMinutes float64 `parquet:"budget_breach_minutes" json:"budget_breach_minutes"`
	BreakerOpenMinutes  float64 `parquet:"breaker_open_minutes" json:"breaker_open_minutes"`
	Retries             int64   `parquet:"retries" json:"retries"`
	FailedActions       int64   `parquet:"failed_actions" json:"failed_actions"`
	// The oracle's scores on the same trace and seed.
	OracleSpendUSD       float64 `parquet:"oracle_spend_usd" json:"oracle_spend_usd"`
	OracleSLOMissMinutes float64 `parquet:"oracle_slo_miss_minutes" json:"oracle_slo_miss_minutes"`
}

func (r *Row) setScores(p reports.PolicySummary) {
	r.SpendUSD, r.SLOMissMinutes, r.SLOMissFraction = p.SpendUSD, p.SLOMissMinutes, p.SLOMissFraction
	r.ScaleActions, r.MeanInstances, r.PeakInstances = int64(p.ScaleActions), p.MeanInstances, int64(p.PeakInstances)
	r.OverprovisionRatio, r.BudgetBreachMinutes, r.BreakerOpenMinutes = p.OverprovisionRatio, p.BudgetBreachMinutes, p.BreakerOpenMinutes
	r.Retries, r.FailedActions = int64(p.Retries), int64(p.FailedActions)
}

// Summary returns the row's scores as a reports.PolicySummary named name.
func (r Row) Summary(name string) reports.PolicySummary {
	return reports.PolicySummary{
		Name: name, SpendUSD: r.SpendUSD, SLOMissMinutes: r.SLOMissMinutes, SLOMissFraction: r.SLOMissFraction,
		ScaleActions: int(r.ScaleActions), MeanInstances: r.MeanInstances, PeakInstances: int(r.PeakInstances),
		OverprovisionRatio: r.OverprovisionRatio, BudgetBreachMinutes: r.BudgetBreachMinutes, BreakerOpenMinutes: r.BreakerOpenMinutes,
		Retries: int(r.Retries), FailedActions: int(r.FailedActions),
	}
}

// Metadata keys of a shard file.
const (
	metaShard = "omnixan.sweep.shard" // "i/n"
	metaGrid  = "omnixan.sweep.grid"  // Grid.Hash
	metaCells = "omnixan.sweep.cells" // cells in the whole grid
)

// ShardFile is the name of shard s's file in the output directory.
func ShardFile(s Shard) string { return fmt.Sprintf("shard-%d-of-%d.parquet", s.I, s.N) }

// WriteShard writes rows as dir/ShardFile(s), atomically (a temporary
// file renamed into place), with the shard, the grid's hash and its cell
// count in the file's metadata.
func WriteShard(dir string, s Shard, gridHash string, cells int, rows []Row) (string, error) {
	path := filepath.Join(dir, ShardFile(s))
	return path, reports.WriteFile(path, func(w io.Writer) error {
		return parquet.Write(w, rows,
			parquet.KeyValueMetadata(metaShard, s.String()),
			parquet.KeyValueMetadata(metaGrid, gridHash),
			parquet.KeyValueMetadata(metaCells, strconv.Itoa(cells)),
			parquet.Compression(&parquet.Zstd))
	})
}

// ShardData is a shard file read back.
type ShardData struct {
	Path  string
	Shard Shard
	Grid  string
	Cells int
	Rows  []Row
}

// ReadShard reads a file written by WriteShard.
func ReadShard(path string) (*ShardData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &ShardData{Path: path}
	sv, ok1 := pf.Lookup(metaShard)
	d.Grid, _ = pf.Lookup(metaGrid)
	cv, ok2 := pf.Lookup(metaCells)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: not a sweep shard (no %s metadata)", path, metaShard)
	}
	if d.Shard, err = ParseShard(sv); err != nil {
		return nil, fmt.Errorf("%s: shard %w", path, err)
	}
	if d.Cells, err = strconv.Atoi(cv); err != nil {
		return nil, fmt.Errorf("%s: cells %q: %w", path, cv, err)
	}
	r := parquet.NewGenericReader[Row](pf)
	defer r.Close()
	d.Rows = make([]Row, pf.NumRows())
	if n, err := r.Read(d.Rows); err != nil && !errors.Is(err, io.EOF) || n != len(d.Rows) {
		return nil, fmt.Errorf("%s: read %d of %d rows: %v", path, n, len(d.Rows), err)
	}
	return d, nil
}

// ErrIncomplete is wrapped by Merge's errors about the set of shards.
var ErrIncomplete = errors.New("shards do not form a complete set")

// Merge checks that shards form a complete set — one grid, one shard
// count n, every shard 0 … n-1 exactly once, every cell once — and
// returns all their rows by cell index.
func Merge(shards []*ShardData) ([]Row, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("%w: no shard files", ErrIncomplete)
	}
	first := shards[0]
	seen := map[int]string{}
	for _, s := range shards {
		switch {
		case s.Shard.N != first.Shard.N:
			return nil, fmt.Errorf("%w: %s is shard %s but %s is shard %s: different shard counts", ErrIncomplete, first.Path, first.Shard, s.Path, s.Shard)
		case s.Grid != first.Grid || s.Cells != first.Cells:
			return nil, fmt.Errorf("%w: %s and %s come from different grids", ErrIncomplete, first.Path, s.Path)
		}
		if p, ok := seen[s.Shard.I]; ok {
			return nil, fmt.Errorf("%w: shard %s is duplicated: %s and %s", ErrIncomplete, s.Shard, p, s.Path)
		}
		seen[s.Shard.I] = s.Path
	}
	var missing []string
	for i := range first.Shard.N {
		if _, ok := seen[i]; !ok {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing shard %s of %d (have %d files)", ErrIncomplete, strings.Join(missing, ", "), first.Shard.N, len(shards))
	}
	var rows []Row
	for _, s := range shards {
		rows = append(rows, s.Rows...)
	}
	slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.Cell, b.Cell) })
	for i, r := range rows {
		if r.Cell != int64(i) {
			return nil, fmt.Errorf("%w: cell %d is missing or duplicated (%d rows for %d cells)", ErrIncomplete, i, len(rows), first.Cells)
		}
	}
	if len(rows) != first.Cells {
		return nil, fmt.Errorf("%w: %d rows for %d cells", ErrIncomplete, len(rows), first.Cells)
	}
	return rows, nil
}
