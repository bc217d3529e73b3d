package backtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/reports"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

// PlotPoints bounds the points per line of a report's plot.
const PlotPoints = 2000

// Policies makes a fresh policy for each name and for each policy of every
// policy file, and adds the oracle when none is among them. Report names
// must be unique. Bad names, files and duplicates are cli.UsageErrors
// naming the flag (--policies, --policy-file).
func Policies(names, files []string, env policy.Env) ([]policy.Configured, error) {
	var out []policy.Configured
	for _, name := range names {
		spec, err := policy.Lookup(name)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("--policies: %w", err))
		}
		p, err := spec.New(env, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.Configured{Label: name, Policy: p, New: func(env policy.Env) (policy.Policy, error) { return spec.New(env, nil) }})
	}
	for _, f := range files {
		ps, err := policy.LoadFile(f, env)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("--policy-file %w", err))
		}
		out = append(out, ps...)
	}
	if !slices.ContainsFunc(out, func(c policy.Configured) bool { return c.Policy.Name() == "oracle" }) {
		o, _ := policy.Lookup("oracle")
		p, err := o.New(env, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.Configured{Label: "oracle", Policy: p, New: func(env policy.Env) (policy.Policy, error) { return o.New(env, nil) }})
	}
	seen := map[string]bool{}
	for _, c := range out {
		if seen[c.Label] {
			return nil, cli.Usage(fmt.Errorf("two policies are named %q: give one a different name in its policy file", c.Label))
		}
		seen[c.Label] = true
	}
	return out, nil
}

// Env is the policy environment of a simulation configuration, after its
// defaults.
func Env(cfg sim.Config) policy.Env {
	cfg = cfg.WithDefaults()
	return policy.Env{StartupDelay: cfg.Service.StartupDelay, SyncPeriod: cfg.SyncPeriod, Capacity: cfg.Service.Capacity}
}

// Timeline creates dir's timeline.parquet for the policies' steps, one
// policy per label in order. Callers defer its Abort, which removes its
// temporary files unless reports.Write has closed it.
func Timeline(dir string, cfg sim.Config, pols []policy.Configured) (*reports.TimelineWriter, error) {
	labels := make([]string, len(pols))
	for i, pc := range pols {
		labels[i] = pc.Label
	}
	return reports.NewTimelineWriter(filepath.Join(dir, reports.TimelineFile), cfg.WithDefaults().Service.Capacity, labels)
}

// Job is one load run through several policies.
type Job struct {
	// Config is the simulation every policy runs in; its Record field is
	// replaced.
	Config   sim.Config
	Policies []policy.Configured
	// Bounds is the autoscaler configuration of every policy; a
	// policy.Bounded policy replaces Min and Max with its own.
	Bounds autoscaler.Config
	// Span is the length of the load, for the timelines' resolution.
	Span time.Duration
	// Open returns a fresh stream of the load: once, read by a goroutine
	// of its own that resolves it into steps for every policy, or, with a
	// single policy, from that policy's goroutine. A Load that is an
	// io.Closer is closed after the run.
	Open func() (sim.Load, error)
	// Step, when not nil, is called at the end of every simulated step of
	// every policy, from several goroutines at once.
	Step func()
	// Rows, when not nil, receives every step of every policy, under the
	// policy's label (timeline.parquet).
	Rows *reports.TimelineWriter
	// Quantum, when not nil, runs a quantum world beside the classical
	// one, each policy scaling its pools too. Open may then be nil: a
	// quantum-only run.
	Quantum *Quantum
}

// Quantum is the quantum side of a Job.
type Quantum struct {
	Config     sim.QuantumConfig
	Start, End time.Time
	Seed       uint64 // draws the on-demand public-queue waits
	// Open returns a fresh stream of the jobs, once per policy.
	Open func() (traces.JobReader, error)
}

// Run runs every policy of job at once, each in its own goroutine on its
// own stream of the load, and returns their results (Policy set to the
// label) and timelines in the order of job.Policies. Errors of all
// policies are joined.
func Run(ctx context.Context, job Job) ([]*sim.Result, []*reports.Timeline, error) {
	cfg := job.Config.WithDefaults()
	n := len(job.Policies)
	results := make([]*sim.Result, n)
	timelines := make([]*reports.Timeline, n)
	errs := make([]error, n)
	// With several policies the load is read and resolved into steps once,
	// on a goroutine of its own, and every policy's run reads the steps.
	var shared *sim.SharedLoad
	if job.Open != nil && n > 1 {
		load, err := job.Open()
		if err != nil {
			return nil, nil, err
		}
		if cl, ok := load.(io.Closer); ok {
			defer cl.Close()
		}
		if shared, err = sim.NewSharedLoad(ctx, cfg, load, n); err != nil {
			return nil, nil, err
		}
		defer shared.Close()
	}
	var wg sync.WaitGroup
	for i, pc := range job.Policies {
		p, name := pc.Policy, pc.Label
		bounds := job.Bounds
		if b, ok := p.(policy.Bounded); ok {
			bounds.Min, bounds.Max = b.Bounds()
		}
		if _, ok := p.(policy.Clairvoyant); ok {
			bounds.AntiFlapThreshold = 0 // the lower bound scales in whenever it can
		}
		tl := reports.NewTimeline(name, cfg.Service.Capacity, job.Span, cfg.Step, PlotPoints)
		timelines[i] = tl
		c := cfg
		c.Record = func(r sim.StepRecord) {
			tl.Record(r)
			if job.Rows != nil {
				job.Rows.Record(name, r)
			}
			if job.Step != nil {
				job.Step()
			}
		}
		wg.Go(func() {
			defer tl.Close()
			if job.Open != nil {
				var load sim.Load
				if shared != nil {
					load = shared.Steps(i)
				} else {
					l, err := job.Open()
					if err != nil {
						errs[i] = err
						return
					}
					if cl, ok := l.(io.Closer); ok {
						defer cl.Close()
					}
					load = l
				}
				if results[i], errs[i] = sim.Run(ctx, c, load, p, bounds); errs[i] != nil {
					return
				}
			} else {
				results[i] = &sim.Result{Start: job.Quantum.Start, End: job.Quantum.End}
			}
			results[i].Policy = name
			if q := job.Quantum; q != nil {
				errs[i] = runQuantum(ctx, job, pc, results[i], tl, cfg)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return results, timelines, nil
}

// runQuantum runs the quantum side of job under the policy of pc, one
// policy of its kind per pool, and adds its scores to res.
func runQuantum(ctx context.Context, job Job, pc policy.Configured, res *sim.Result, tl *reports.Timeline, cfg sim.Config) error {
	q := job.Quantum
	if pc.New == nil {
		return fmt.Errorf("policy %s cannot scale the quantum pools (it cannot be built again for another pool)", pc.Label)
	}
	jobs, err := q.Open()
	if err != nil {
		return err
	}
	defer jobs.Close()
	loop := job.Bounds
	loop.AntiFlapThreshold, loop.BudgetPerHour = 0, 0
	qr, err := sim.RunQuantum(ctx, sim.QuantumRun{
		Config: q.Config, Start: q.Start, End: q.End, Step: cfg.Step, SyncPeriod: cfg.SyncPeriod,
		Policy: pc.New, Loop: loop, Seed: q.Seed,
		Record: func(r sim.QuantumRecord) {
			tl.RecordQuantum(r)
			if job.Step != nil {
				job.Step()
			}
		},
	}, jobs)
	if err != nil {
		return fmt.Errorf("%s: quantum: %w", pc.Label, err)
	}
	res.AddQuantum(qr)
	return nil
}
