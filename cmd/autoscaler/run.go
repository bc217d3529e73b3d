package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/live"
	"github.com/omnixan/omnixan/policy"
)

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `Usage: autoscaler --prometheus URL --query PROMQL --target deployment/NAME|statefulset/NAME|process:'CMD' [flags]

Runs a scaling policy live, with the control loop that sim and replay use.
Every flag can also be set by the variable OMNIXAN_AUTOSCALING_<FLAG> (upper
case, - as _) or by a key of the --config file (YAML or JSON, - or _);
precedence: flag > variable > file > default.

Flags:
%s`, fs.FlagUsages())
}

func (o *Options) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return 0, fmt.Errorf("= %q: %w", o.LogLevel, errLevel)
	}
	return l, nil
}

func (o *Options) logger(w io.Writer) *slog.Logger {
	l, _ := o.level()
	hopts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, hopts)
	if o.LogFormat == "text" {
		h = slog.NewTextHandler(w, hopts)
	}
	return slog.New(h).With("module", o.ModuleName)
}

// policy builds the policy the options name.
func (o *Options) policy() (policy.Policy, error) {
	env := policy.Env{StartupDelay: o.StartupDelay, SyncPeriod: o.SyncPeriod, Capacity: o.Capacity}
	if o.PolicyFile != "" {
		cs, err := policy.LoadFile(o.PolicyFile, env)
		if err != nil {
			return nil, configError(o.where("policy-file"), "", err)
		}
		if len(cs) != 1 {
			return nil, configError(o.where("policy-file"), fmt.Sprintf("holds %d policies: live mode runs one", len(cs)), nil)
		}
		if _, ok := cs[0].Policy.(policy.Clairvoyant); ok {
			return nil, configError(o.where("policy-file"), "names a clairvoyant policy, which needs the future", nil)
		}
		return cs[0].Policy, nil
	}
	spec, err := policy.Lookup(o.Policy)
	if err != nil {
		return nil, configError(o.where("policy"), "", err)
	}
	p, err := spec.New(env, nil)
	if err != nil {
		return nil, configError(o.where("policy"), "", err)
	}
	return p, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := defaultOptions()
	fs := pflag.NewFlagSet("autoscaler", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	help := fs.BoolP("help", "h", false, "show this help")
	if err := o.Load(fs, args, os.Environ()); err != nil {
		if errors.Is(err, pflag.ErrHelp) || *help {
			usage(stdout, fs)
			return nil
		}
		return err
	}
	if *help {
		usage(stdout, fs)
		return nil
	}
	if err := o.Validate(); err != nil {
		return err
	}
	log := o.logger(stderr)
	return serve(ctx, &o, log, stdout)
}

// serve builds the pieces and runs until ctx ends.
// The process target's instances write to stdout, so that stderr holds
// only the autoscaler's own log.
func serve(ctx context.Context, o *Options, log *slog.Logger, stdout io.Writer) error {
	pol, err := o.policy()
	if err != nil {
		return err
	}
	guard := &live.NoScaleInOnPartial{Policy: pol}
	minN, maxN := guard.Bounds()
	if o.MinInstances > 0 {
		minN = o.MinInstances
	}
	if o.MaxInstances > 0 {
		maxN = o.MaxInstances
	}
	tgt, _ := o.target()

	// The orchestrator.
	var (
		orch   autoscaler.Orchestrator
		status live.StatusReader
		procs  *live.Processes
	)
	switch tgt.kind {
	case "process":
		var lb autoscaler.LoadBalancer
		if o.HAProxy != "" {
			h, err := live.NewHAProxy(o.HAProxy, o.HAProxyBackend)
			if err != nil {
				return configError(o.where("haproxy"), "", err)
			}
			lb = h
		}
		procs, err = live.NewProcesses(live.ProcessOptions{
			Command: tgt.command, Name: o.ProcessName, BasePort: o.ProcessBasePort,
			Grace: o.ProcessGrace, LB: lb, Stdout: stdout, Stderr: stdout, Log: log,
		})
		if err != nil {
			return configError(o.where("target"), "", err)
		}
		orch, status = procs, procs
		if o.DryRun {
			orch = &live.DryRun{Orch: procs, Log: log}
		}
	default:
		k, err := live.NewKube(live.KubeOptions{
			Kind: tgt.kind, Name: tgt.name, Namespace: o.Namespace,
			Kubeconfig: o.Kubeconfig, Context: o.Context, Timeout: o.KubeTimeout, DryRun: o.DryRun,
		})
		if err != nil {
			return configError(o.where("kubeconfig"), "", err)
		}
		orch, status = k, k
	}
	timed := &live.Timed{Orch: orch}

	breaker := autoscaler.BreakerConfig{ConsecutiveFailures: o.BreakerFailures, OpenTimeout: o.BreakerOpenTimeout}
	src, err := live.NewPromSource(live.PromOptions{
		URL: o.Prometheus, Capacity: o.Capacity, Timeout: o.QueryTimeout, Breaker: breaker,
		Queries: live.Queries{RequestRate: o.Query, CPU: o.CPUQuery, Memory: o.MemoryQuery, Quantum: o.QuantumQuery},
	}, status)
	if err != nil {
		return configError("--prometheus", "", err)
	}
	seed := uint64(time.Now().UnixNano())
	loop, err := autoscaler.New(autoscaler.Config{
		Min: minN, Max: maxN, BudgetPerHour: o.MaxBudget,
		Price:   cost.InstanceHour{USDPerHour: o.PricePerHour},
		Breaker: breaker, Retry: autoscaler.RetryConfig{MaxAttempts: o.RetryMaxAttempts}, Seed: seed,
	}, guard, nil, timed)
	if err != nil {
		return cli.Usage(err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := live.NewMetrics(reg)
	if err != nil {
		return err
	}
	var rec *live.Recorder
	if o.Record != "" {
		rec, err = live.OpenRecorder(o.Record, o.RecordFsync)
		if err != nil {
			return err
		}
		defer rec.Close()
	}
	r := &live.Runner{
		Loop: loop, Source: src, Guard: guard, Orchestrator: timed, MetricsBreaker: src.Breaker(),
		Sync: o.SyncPeriod, PricePerHour: o.PricePerHour, Log: log, Metrics: metrics, Recorder: rec,
	}

	mux := http.NewServeMux()
	if o.EnablePrometheus {
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	}
	mux.HandleFunc("/healthz", r.Healthz)
	mux.HandleFunc("/readyz", r.Readyz)
	ln, err := net.Listen("tcp", o.metricsAddr())
	if err != nil {
		return configError(o.where("metrics-addr"), "", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)

	log.Info("starting", "target", o.Target, "namespace", o.Namespace, "policy", pol.Name(),
		"prometheus", o.Prometheus, "query", o.Query, "sync_period", o.SyncPeriod.String(),
		"min", minN, "max", maxN, "dry_run", o.DryRun, "metrics_addr", ln.Addr().String(),
		"record", o.Record, "retry_seed", seed, "settings_from", origins(o))

	runErr := r.Run(ctx)

	// Shutting down: the pass in flight has finished.
	log.Info("stopping", "passes", r.Passes())
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if procs != nil {
		if err := procs.Close(sctx); err != nil {
			log.Warn("instances still stopping at the shutdown timeout", "err", err.Error())
		}
	}
	if rec != nil {
		if err := rec.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	srv.Shutdown(sctx)
	if runErr == nil {
		log.Info("stopped")
	}
	return runErr
}

// origins lists the settings not at their defaults, with their source.
func origins(o *Options) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(o.origin)) {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%s", k, o.origin[k])
	}
	return b.String()
}
