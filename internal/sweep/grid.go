package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/omnixan/omnixan/policy"
)

// ErrInvalidGrid is wrapped by every error about a grid file's contents.
var ErrInvalidGrid = errors.New("invalid grid")

// Grid is a grid file.
type Grid struct {
	Traces   []Trace       `json:"traces"`
	Policies []PolicyEntry `json:"policies"`
	// Seeds are the seeds of every random stream; empty means [1].
	Seeds []uint64 `json:"seeds,omitempty"`
}

// Trace is one trace of a grid.
type Trace struct {
	// Path is a CSV or Parquet load trace; a relative path is relative to
	// the grid file's directory.
	Path string `json:"path"`
	// Column is the value column; empty means the first after the timestamp.
	Column string `json:"column,omitempty"`
	// CapacityPerInstance is the load one instance serves in the column's
	// unit; 0 means the trace's 99th percentile needs 20 instances.
	CapacityPerInstance float64 `json:"capacity_per_instance,omitempty"`
	// Step is the simulation step; 0 means one minute.
	Step Duration `json:"step,omitempty"`
}

// PolicyEntry is one policy of a grid: a name from policy.Specs, the
// label reports use (default: the name), and its params, where a list
// value is a list of values to sweep. To pass a list as one value, wrap
// it in another list.
type PolicyEntry struct {
	Policy string         `json:"policy"`
	Label  string         `json:"label,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// Duration is a time.Duration read from a string such as "10s" or a number
// of seconds.
type Duration time.Duration

// UnmarshalJSON reads "10s" or 10 (seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		x, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*d = Duration(x)
	case float64:
		*d = Duration(v * float64(time.Second))
	default:
		return fmt.Errorf("want a duration such as \"10s\", got %s", b)
	}
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Cell is one backtest of the grid.
type Cell struct {
	Index  int
	Trace  Trace
	Policy string         // name from policy.Specs
	Label  string         // e.g. threshold[cooldown=60s,scale_up=0.8]
	Params map[string]any // one value per key
	Seed   uint64
}

// ParamsJSON is the cell's params as a JSON object with sorted keys.
func (c Cell) ParamsJSON() string {
	if len(c.Params) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(c.Params) // maps marshal with sorted keys
	return string(b)
}

// Load reads a grid file, resolving relative trace paths against its
// directory.
func Load(path string) (*Grid, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, t := range g.Traces {
		if !filepath.IsAbs(t.Path) {
			g.Traces[i].Path = filepath.Join(filepath.Dir(path), t.Path)
		}
	}
	return g, nil
}

// Parse reads a grid from YAML or JSON. It is strict: an unknown key is
// an error naming it; so are a missing trace path or policy, an unknown
// policy, a negative capacity or step and duplicate labels.
func Parse(data []byte) (*Grid, error) {
	var g Grid
	if err := yaml.UnmarshalStrict(data, &g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGrid, err)
	}
	if len(g.Traces) == 0 {
		return nil, fmt.Errorf("%w: no traces", ErrInvalidGrid)
	}
	if len(g.Policies) == 0 {
		return nil, fmt.Errorf("%w: no policies", ErrInvalidGrid)
	}
	for i, t := range g.Traces {
		switch {
		case t.Path == "":
			return nil, fmt.Errorf("%w: traces[%d]: no path", ErrInvalidGrid, i)
		case !(t.CapacityPerInstance >= 0):
			return nil, fmt.Errorf("%w: traces[%d].capacity_per_instance %v: want ≥ 0", ErrInvalidGrid, i, t.CapacityPerInstance)
		case t.Step != 0 && (time.Duration(t.Step) < time.Second || time.Duration(t.Step) > time.Hour):
			return nil, fmt.Errorf("%w: traces[%d].step %v: want between 1s and 1h", ErrInvalidGrid, i, time.Duration(t.Step))
		}
	}
	labels := map[string]bool{}
	for i, p := range g.Policies {
		if p.Policy == "" {
			return nil, fmt.Errorf("%w: policies[%d]: no policy", ErrInvalidGrid, i)
		}
		if _, err := policy.Lookup(p.Policy); err != nil {
			return nil, fmt.Errorf("%w: policies[%d]: %v", ErrInvalidGrid, i, err)
		}
		if p.Label == "" {
			g.Policies[i].Label = p.Policy
		}
		if labels[g.Policies[i].Label] {
			return nil, fmt.Errorf("%w: policies[%d]: label %q used twice", ErrInvalidGrid, i, g.Policies[i].Label)
		}
		labels[g.Policies[i].Label] = true
		for k, v := range p.Params {
			if l, ok := v.([]any); ok && len(l) == 0 {
				return nil, fmt.Errorf("%w: policies[%d].params.%s: an empty list sweeps nothing", ErrInvalidGrid, i, k)
			}
		}
	}
	if len(g.Seeds) == 0 {
		g.Seeds = []uint64{1}
	}
	return &g, nil
}

// Variant is one setting of a policy entry's params.
type Variant struct {
	Policy string
	Label  string
	Params map[string]any
}

// Variants expands the list-valued params of p into their cross product,
// in order of the sorted keys, the last key varying fastest. The label of
// a variant is p.Label followed by the swept values, label[k=v,k2=v2];
// with nothing swept it is p.Label.
func (p PolicyEntry) Variants() []Variant {
	label := p.Label
	if label == "" {
		label = p.Policy
	}
	var swept []string
	for k, v := range p.Params {
		if _, ok := v.([]any); ok {
			swept = append(swept, k)
		}
	}
	slices.Sort(swept)
	out := []Variant{{Policy: p.Policy, Label: label, Params: map[string]any{}}}
	for k, v := range p.Params {
		if !slices.Contains(swept, k) {
			out[0].Params[k] = v
		}
	}
	for _, k := range swept {
		var next []Variant
		for _, v := range out {
			for _, x := range p.Params[k].([]any) {
				params := make(map[string]any, len(v.Params)+1)
				for kk, vv := range v.Params {
					params[kk] = vv
				}
				params[k] = x
				next = append(next, Variant{Policy: v.Policy, Params: params})
			}
		}
		out = next
	}
	if len(swept) > 0 {
		for i, v := range out {
			parts := make([]string, len(swept))
			for j, k := range swept {
				parts[j] = k + "=" + formatValue(v.Params[k])
			}
			out[i].Label = label + "[" + strings.Join(parts, ",") + "]"
		}
	}
	return out
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case float64, bool:
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Cells returns every cell of the grid, in index order.
func (g *Grid) Cells() []Cell {
	var out []Cell
	seeds := g.Seeds
	if len(seeds) == 0 {
		seeds = []uint64{1}
	}
	for _, p := range g.Policies {
		for _, v := range p.Variants() {
			for _, t := range g.Traces {
				for _, s := range seeds {
					out = append(out, Cell{Index: len(out), Trace: t, Policy: v.Policy, Label: v.Label, Params: v.Params, Seed: s})
				}
			}
		}
	}
	return out
}

// Hash identifies the grid's cells, so that a merge can tell shards of
// different grids apart.
func (g *Grid) Hash() string {
	h := sha256.New()
	for _, c := range g.Cells() {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%g\x00%d\x00%s\x00%s\x00%d\n", c.Index, filepath.Base(c.Trace.Path), c.Trace.Column, c.Trace.CapacityPerInstance,
			c.Trace.Step, c.Label, c.ParamsJSON(), c.Seed)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Shard is shard I of N, 0 ≤ I < N.
type Shard struct{ I, N int }

// String returns the shard as "I/N", as --shard takes it.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Take returns the cells of shard s: those whose index % N == I.
func (s Shard) Take(cells []Cell) []Cell {
	var out []Cell
	for _, c := range cells {
		if c.Index%s.N == s.I {
			out = append(out, c)
		}
	}
	return out
}

// ParseShard reads "i/n".
func ParseShard(v string) (Shard, error) {
	a, b, ok := strings.Cut(v, "/")
	var s Shard
	if ok {
		_, err1 := fmt.Sscanf(a, "%d", &s.I)
		_, err2 := fmt.Sscanf(b, "%d", &s.N)
		ok = err1 == nil && err2 == nil && fmt.Sprintf("%d/%d", s.I, s.N) == v
	}
	if !ok || s.N < 1 || s.I < 0 || s.I >= s.N {
		return Shard{}, fmt.Errorf("%q: want i/n with 0 ≤ i < n, e.g. 0/4", v)
	}
	return s, nil
}

// CheckParams builds every policy variant once in env, so that a bad
// param fails before any cell runs; the error names the variant.
func (g *Grid) CheckParams(env policy.Env) error {
	for _, p := range g.Policies {
		for _, v := range p.Variants() {
			spec, err := policy.Lookup(v.Policy)
			if err == nil {
				_, err = spec.New(env, v.Params)
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrInvalidGrid, v.Label, err)
			}
		}
	}
	return nil
}
