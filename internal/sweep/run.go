package sweep

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/backtest"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/reports"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

// Auto capacity, as replay's: the trace's 99th percentile needs 20
// instances.
const (
	autoQuantile  = 0.99
	autoInstances = 20
)

// Options tune Run. A nil *Options means all defaults.
type Options struct {
	// Workers is the number of cells run at once; 0 means GOMAXPROCS.
	Workers int
	// Done, when not nil, is called after each cell, from several
	// goroutines at once.
	Done func()
}

// Run runs cells, several at once, and returns one row per cell in the
// order of cells. Each row carries the oracle's scores on the same trace
// and seed; the oracle runs once per trace and seed.
func Run(ctx context.Context, cells []Cell, opts *Options) ([]Row, error) {
	if opts == nil {
		opts = &Options{}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	r := &runner{traces: map[string]*prepared{}, oracles: map[oracleKey]*oracleRun{}}
	rows := make([]Row, len(cells))
	errs := make([]error, len(cells))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(cells), 1)) {
		wg.Go(func() {
			for i := range next {
				rows[i], errs[i] = r.cell(ctx, cells[i])
				if errs[i] != nil {
					errs[i] = fmt.Errorf("cell %d (%s on %s, seed %d): %w", cells[i].Index, cells[i].Label, cells[i].Trace.Path, cells[i].Seed, errs[i])
				}
				if opts.Done != nil {
					opts.Done()
				}
			}
		})
	}
	for i := range cells {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// prepared is a trace after its first streaming pass.
type prepared struct {
	once     sync.Once
	cfg      sim.Config
	span     time.Duration
	capacity float64
	err      error
}

type oracleKey struct {
	trace string
	seed  uint64
}

type oracleRun struct {
	once sync.Once
	ps   reports.PolicySummary
	err  error
}

type runner struct {
	mu      sync.Mutex
	traces  map[string]*prepared
	oracles map[oracleKey]*oracleRun
}

func traceKey(t Trace) string {
	return fmt.Sprintf("%s\x00%s\x00%g\x00%d", t.Path, t.Column, t.CapacityPerInstance, t.Step)
}

func (r *runner) prepare(t Trace) *prepared {
	r.mu.Lock()
	p := r.traces[traceKey(t)]
	if p == nil {
		p = &prepared{}
		r.traces[traceKey(t)] = p
	}
	r.mu.Unlock()
	p.once.Do(func() { p.err = p.load(t) })
	return p
}

func (p *prepared) load(t Trace) error {
	step := time.Duration(t.Step)
	if step == 0 {
		step = time.Minute
	}
	rd, err := traces.Open(t.Path, nil)
	if err != nil {
		return err
	}
	st, err := traces.Scan(rd, t.Column)
	rd.Close()
	if err != nil {
		return err
	}
	p.capacity = t.CapacityPerInstance
	if p.capacity == 0 {
		p99 := st.Quantile(autoQuantile)
		if p99 <= 0 {
			return fmt.Errorf("%s: the 99th percentile of %q is 0: give capacity_per_instance", t.Path, st.Column)
		}
		p.capacity = p99 / autoInstances
	}
	cfg := sim.Config{Step: step, Column: t.Column}.WithDefaults()
	cfg.Scale = cfg.Service.Capacity / p.capacity
	if err := cfg.Validate(); err != nil {
		return err
	}
	p.cfg = cfg
	p.span = st.End.Sub(st.Start) + st.LastGap
	if st.LastGap == 0 {
		p.span = step
	}
	return nil
}

// simulate runs one policy on the prepared trace.
func (p *prepared) simulate(ctx context.Context, t Trace, name, label string, params map[string]any, seed uint64) (reports.PolicySummary, error) {
	env := backtest.Env(p.cfg)
	spec, err := policy.Lookup(name)
	if err != nil {
		return reports.PolicySummary{}, err
	}
	pol, err := spec.New(env, params)
	if err != nil {
		return reports.PolicySummary{}, err
	}
	res, _, err := backtest.Run(ctx, backtest.Job{
		Config:   p.cfg,
		Policies: []policy.Configured{{Label: label, Policy: pol}},
		Bounds:   autoscaler.Config{Price: p.cfg.Price, PriceCPU: p.cfg.Size.CPU, Min: 1, Seed: seed},
		Span:     p.span,
		Open: func() (sim.Load, error) {
			rd, err := traces.Open(t.Path, nil)
			if err != nil {
				return nil, err
			}
			return rd, nil
		},
	})
	if err != nil {
		return reports.PolicySummary{}, err
	}
	return reports.FromResult(res[0]), nil
}

func (r *runner) cell(ctx context.Context, c Cell) (Row, error) {
	p := r.prepare(c.Trace)
	if p.err != nil {
		return Row{}, p.err
	}
	k := oracleKey{traceKey(c.Trace), c.Seed}
	r.mu.Lock()
	o := r.oracles[k]
	if o == nil {
		o = &oracleRun{}
		r.oracles[k] = o
	}
	r.mu.Unlock()
	o.once.Do(func() { o.ps, o.err = p.simulate(ctx, c.Trace, "oracle", "oracle", nil, c.Seed) })
	if o.err != nil {
		return Row{}, fmt.Errorf("oracle: %w", o.err)
	}
	ps, err := p.simulate(ctx, c.Trace, c.Policy, c.Label, c.Params, c.Seed)
	if err != nil {
		return Row{}, err
	}
	row := Row{
		Cell: int64(c.Index), Trace: c.Trace.Path, Policy: c.Policy, Label: c.Label, Params: c.ParamsJSON(), Seed: c.Seed,
		CapacityPerInstance: p.capacity,
		OracleSpendUSD:      o.ps.SpendUSD, OracleSLOMissMinutes: o.ps.SLOMissMinutes,
	}
	row.setScores(ps)
	return row, nil
}
