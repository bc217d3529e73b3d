package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCrossProduct(t *testing.T) {
	g, err := Parse([]byte(`
traces:
  - {path: a.csv, step: 10s}
  - {path: b.parquet, column: rps, capacity_per_instance: 50}
policies:
  - policy: threshold
    params: {cooldown: [60s, 300s], scale_up: [0.8, 0.9], min: 1}
  - policy: target-tracking
    label: tt
seeds: [1, 7]
`))
	if err != nil {
		t.Fatal(err)
	}
	cells := g.Cells()
	if len(cells) != (4+1)*2*2 {
		t.Fatalf("got %d cells, want 20", len(cells))
	}
	var labels []string
	for _, c := range cells {
		if c.Trace.Path == "a.csv" && c.Seed == 1 {
			labels = append(labels, c.Label)
		}
	}
	want := []string{
		"threshold[cooldown=60s,scale_up=0.8]", "threshold[cooldown=60s,scale_up=0.9]",
		"threshold[cooldown=300s,scale_up=0.8]", "threshold[cooldown=300s,scale_up=0.9]", "tt",
	}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := cells[0].ParamsJSON(); got != `{"cooldown":"60s","min":1,"scale_up":0.8}` {
		t.Errorf("params = %s", got)
	}
	for i, c := range cells {
		if c.Index != i {
			t.Errorf("cell %d has index %d", i, c.Index)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ grid, want string }{
		{"traces: [{path: a.csv, colum: x}]\npolicies: [{policy: threshold}]", `unknown field "colum"`},
		{"traces: [{path: a.csv}]\npolicies: [{policy: threshold}]\nseed: [1]", `unknown field "seed"`},
		{"traces: [{path: a.csv}]\npolicies: [{policy: nope}]", "unknown policy"},
		{"policies: [{policy: threshold}]", "no traces"},
		{"traces: [{path: a.csv}]", "no policies"},
		{"traces: [{path: a.csv, step: 0.1}]\npolicies: [{policy: threshold}]", "step"},
		{"traces: [{path: a.csv}]\npolicies: [{policy: threshold}, {policy: threshold}]", "used twice"},
		{"traces: [{path: a.csv}]\npolicies: [{policy: threshold, params: {cooldown: []}}]", "empty list"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Parse([]byte(tc.grid))
			if !errors.Is(err, ErrInvalidGrid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want ErrInvalidGrid containing %q", err, tc.want)
			}
		})
	}
}

func TestShardPartition(t *testing.T) {
	g := &Grid{Traces: []Trace{{Path: "a"}, {Path: "b"}, {Path: "c"}},
		Policies: []PolicyEntry{{Policy: "threshold", Params: map[string]any{"cooldown": []any{"1m", "2m", "5m"}}}},
		Seeds:    []uint64{1, 2}}
	cells := g.Cells()
	for _, n := range []int{1, 2, 3, 5, 18, 25} {
		seen := make([]int, len(cells))
		for i := range n {
			s := Shard{I: i, N: n}
			got := s.Take(cells)
			if diff := cmp.Diff(got, s.Take(g.Cells())); diff != "" {
				t.Errorf("shard %s not deterministic (-first +second):\n%s", s, diff)
			}
			for _, c := range got {
				seen[c.Index]++
			}
		}
		for i, k := range seen {
			if k != 1 {
				t.Errorf("n=%d: cell %d taken %d times", n, i, k)
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, v := range []string{"0/1", "3/4"} {
		if _, err := ParseShard(v); err != nil {
			t.Errorf("ParseShard(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", "4/4", "-1/4", "1", "a/b", "0/0", "1/2/3"} {
		if _, err := ParseShard(v); err == nil {
			t.Errorf("ParseShard(%q) succeeded", v)
		}
	}
}

// writeTrace writes a small diurnal CSV trace of n minutes.
func writeTrace(t *testing.T, path string, n int, scale float64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		v := scale * (100 + 80*float64((i/60)%12)/12)
		fmt.Fprintf(&b, "%d,%g\n", 1700000000+60*i, v)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSweepAndMerge(t *testing.T) {
	dir := t.TempDir()
	writeTrace(t, filepath.Join(dir, "a.csv"), 600, 1)
	writeTrace(t, filepath.Join(dir, "b.csv"), 600, 3)
	gridPath := filepath.Join(dir, "grid.yaml")
	os.WriteFile(gridPath, []byte(`
traces: [{path: a.csv}, {path: b.csv, step: 30s}]
policies:
  - policy: threshold
    params: {cooldown: [60s, 300s]}
  - policy: target-tracking
`), 0o644)
	g, err := Load(gridPath)
	if err != nil {
		t.Fatal(err)
	}
	all := g.Cells()
	out := filepath.Join(dir, "out")
	const n = 4
	var shards []*ShardData
	for i := range n {
		s := Shard{I: i, N: n}
		rows, err := Run(context.Background(), s.Take(all), nil)
		if err != nil {
			t.Fatal(err)
		}
		path, err := WriteShard(out, s, g.Hash(), len(all), rows)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ReadShard(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rows, d.Rows); diff != "" {
			t.Fatalf("shard %d round trip (-want +got):\n%s", i, diff)
		}
		shards = append(shards, d)
	}
	rows, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(all) {
		t.Fatalf("merged %d rows, want %d", len(rows), len(all))
	}
	for i, r := range rows {
		if r.Label != all[i].Label || r.SpendUSD <= 0 || r.OracleSpendUSD <= 0 {
			t.Errorf("row %d = %+v", i, r)
		}
	}
	// The same cell run alone gives the same row: the oracle and cells do
	// not depend on the sharding.
	one, err := Run(context.Background(), all[3:4], &Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows[3], one[0]); diff != "" {
		t.Errorf("cell 3 alone (-sharded +alone):\n%s", diff)
	}
	merged := filepath.Join(dir, "merged")
	if err := WriteMerged(merged, shards, rows); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{MergedFile, SummaryJSON, SummaryMD, PlotFile} {
		if st, err := os.Stat(filepath.Join(merged, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	t.Run("missing", func(t *testing.T) {
		_, err := Merge([]*ShardData{shards[0], shards[1], shards[3]})
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "missing shard 2 of 4") {
			t.Errorf("Merge = %v", err)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		_, err := Merge([]*ShardData{shards[0], shards[1], shards[1], shards[2], shards[3]})
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "shard 1/4 is duplicated") {
			t.Errorf("Merge = %v", err)
		}
	})
	t.Run("other count", func(t *testing.T) {
		other := *shards[0]
		other.Shard = Shard{I: 0, N: 2}
		_, err := Merge([]*ShardData{shards[0], &other})
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "different shard counts") {
			t.Errorf("Merge = %v", err)
		}
	})
}
