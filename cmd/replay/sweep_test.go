package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/internal/sweep"
)

func writeSweepFixture(t *testing.T) (dir, grid string) {
	t.Helper()
	dir = t.TempDir()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range 300 {
		fmt.Fprintf(&b, "%d,%d\n", 1700000000+60*i, 100+i%90)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	grid = filepath.Join(dir, "grid.yaml")
	os.WriteFile(grid, []byte("traces: [{path: t.csv}]\npolicies:\n  - policy: threshold\n    params: {scale_up: [0.8, 0.85, 0.9]}\n"), 0o644)
	return dir, grid
}

func TestSweepMergeCommand(t *testing.T) {
	dir, grid := writeSweepFixture(t)
	out := filepath.Join(dir, "out")
	for i := range 2 {
		var so, se bytes.Buffer
		if err := run(context.Background(), []string{"sweep", "--grid", grid, "--out", out, "--shard", fmt.Sprintf("%d/2", i)}, &so, &se); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, se.String())
		}
	}
	var so, se bytes.Buffer
	if err := run(context.Background(), []string{"merge", out, "--out", filepath.Join(dir, "m")}, &so, &se); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(so.String(), "merged 2 shards, 3 cells") {
		t.Errorf("merge printed %q", so.String())
	}
	md, _ := os.ReadFile(filepath.Join(dir, "m", sweep.SummaryMD))
	if !strings.Contains(string(md), "threshold[scale_up=0.8]") {
		t.Errorf("sweep.md lacks a variant:\n%s", md)
	}
	os.Remove(filepath.Join(out, "shard-1-of-2.parquet"))
	err := run(context.Background(), []string{"merge", out, "--out", filepath.Join(dir, "m2")}, &so, &se)
	if !errors.Is(err, sweep.ErrIncomplete) || !strings.Contains(err.Error(), "missing shard 1 of 2") {
		t.Errorf("merge with a shard missing = %v", err)
	}
}

func TestSweepJobCompletionIndex(t *testing.T) {
	dir, grid := writeSweepFixture(t)
	out := filepath.Join(dir, "out")
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	t.Setenv("OMNIXAN_SHARDS", "")
	var so, se bytes.Buffer
	err := run(context.Background(), []string{"sweep", "--grid", grid, "--out", out}, &so, &se)
	if !errors.As(err, new(cli.UsageError)) || !strings.Contains(err.Error(), "OMNIXAN_SHARDS") {
		t.Errorf("no count: %v", err)
	}
	if err := run(context.Background(), []string{"sweep", "--grid", grid, "--out", out, "--shards", "3"}, &so, &se); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OMNIXAN_SHARDS", "3")
	t.Setenv("JOB_COMPLETION_INDEX", "2")
	if err := run(context.Background(), []string{"sweep", "--grid", grid, "--out", out}, &so, &se); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"shard-1-of-3.parquet", "shard-2-of-3.parquet"} {
		d, err := sweep.ReadShard(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Rows) != 1 || d.Rows[0].Cell != int64(d.Shard.I) {
			t.Errorf("%s: rows %+v", f, d.Rows)
		}
	}
}

func TestSweepOptionsValidate(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		o    sweepOptions
		env  map[string]string
		want string // error text, or the shard
	}{
		{sweepOptions{Grid: "g", Out: "o"}, nil, "0/1"},
		{sweepOptions{Grid: "g", Out: "o", Shard: "2/5"}, nil, "2/5"},
		{sweepOptions{Grid: "g", Out: "o", Shard: "5/5"}, nil, "want i/n"},
		{sweepOptions{Grid: "g", Out: "o", Shards: 4}, nil, "needs JOB_COMPLETION_INDEX"},
		{sweepOptions{Grid: "g", Out: "o", Shards: 4}, map[string]string{"JOB_COMPLETION_INDEX": "3"}, "3/4"},
		{sweepOptions{Grid: "g", Out: "o", Shards: 4}, map[string]string{"JOB_COMPLETION_INDEX": "4"}, "want < the shard count 4"},
		{sweepOptions{Grid: "g", Out: "o"}, map[string]string{"JOB_COMPLETION_INDEX": "0", "OMNIXAN_SHARDS": "2"}, "0/2"},
		{sweepOptions{Grid: "g", Out: "o"}, map[string]string{"JOB_COMPLETION_INDEX": "0"}, "shard count is unknown"},
		{sweepOptions{Out: "o"}, nil, "--grid"},
	} {
		s, err := tc.o.Validate(env(tc.env))
		got := s.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%+v %v: got %q, want %q", tc.o, tc.env, got, tc.want)
		}
	}
}

func TestSweepJobManifest(t *testing.T) {
	data, err := os.ReadFile("../../deploy/sweep-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job map[string]any
	for doc := range strings.SplitSeq(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "Job" {
			job = m
		}
		if m["kind"] == "ConfigMap" {
			g := m["data"].(map[string]any)["grid.yaml"].(string)
			if _, err := sweep.Parse([]byte(g)); err != nil {
				t.Errorf("the ConfigMap's grid: %v", err)
			}
		}
	}
	if job == nil {
		t.Fatal("no Job in deploy/sweep-job.yaml")
	}
	spec := job["spec"].(map[string]any)
	if spec["completionMode"] != "Indexed" {
		t.Errorf("completionMode = %v, want Indexed", spec["completionMode"])
	}
	cmd := fmt.Sprint(spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["command"])
	if !strings.Contains(cmd, fmt.Sprintf("--shards %v", spec["completions"])) {
		t.Errorf("command %s does not pass --shards = completions %v", cmd, spec["completions"])
	}
}
