package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/live"
	"github.com/omnixan/omnixan/policy"
)

// EnvPrefix starts every environment variable the autoscaler reads: the
// variable for flag --sync-period is OMNIXAN_AUTOSCALING_SYNC_PERIOD.
const EnvPrefix = "OMNIXAN_AUTOSCALING_"

// Options are the autoscaler's settings. Each comes from, in this order of
// precedence, its flag, its OMNIXAN_AUTOSCALING_* variable, its key in the
// --config file, or its default.
type Options struct {
	Config string

	Prometheus   string
	Query        string
	CPUQuery     string
	MemoryQuery  string
	QuantumQuery string
	Capacity     float64
	QueryTimeout time.Duration

	Target      string
	Namespace   string
	Kubeconfig  string
	Context     string
	KubeTimeout time.Duration

	Policy       string
	PolicyFile   string
	SyncPeriod   time.Duration
	StartupDelay time.Duration
	MinInstances int
	MaxInstances int
	MaxBudget    float64
	PricePerHour float64

	BreakerFailures    int
	BreakerOpenTimeout time.Duration
	RetryMaxAttempts   int

	ProcessName     string
	ProcessBasePort int
	ProcessGrace    time.Duration
	HAProxy         string
	HAProxyBackend  string

	MetricsAddr      string
	EnablePrometheus bool
	PrometheusPort   int
	Record           string
	RecordFsync      time.Duration
	DryRun           bool
	LogFormat        string
	LogLevel         string
	ModuleName       string
	ShutdownTimeout  time.Duration

	// origin says where each flag's value came from, for error messages:
	// "--sync-period", "OMNIXAN_AUTOSCALING_SYNC_PERIOD" or
	// "FILE: sync_period". A flag left at its default is absent.
	origin map[string]string
}

func defaultOptions() Options {
	return Options{
		Capacity:           0,
		QueryTimeout:       5 * time.Second,
		KubeTimeout:        10 * time.Second,
		Policy:             "hpa",
		SyncPeriod:         15 * time.Second,
		StartupDelay:       60 * time.Second,
		BreakerFailures:    5,
		BreakerOpenTimeout: 30 * time.Second,
		RetryMaxAttempts:   4,
		ProcessName:        "proc",
		ProcessGrace:       10 * time.Second,
		HAProxyBackend:     "workload",
		MetricsAddr:        "127.0.0.1:9090",
		EnablePrometheus:   true,
		RecordFsync:        2 * time.Second,
		LogFormat:          "json",
		LogLevel:           "info",
		ModuleName:         "omnixan-autoscaler",
		ShutdownTimeout:    30 * time.Second,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Config, "config", o.Config, "configuration file, YAML or JSON: one key per flag (sync_period or sync-period); flags and OMNIXAN_AUTOSCALING_* variables override it")
	fs.StringVar(&o.Prometheus, "prometheus", o.Prometheus, "base URL of the Prometheus server to query, e.g. http://prometheus:9090")
	fs.StringVar(&o.Query, "query", o.Query, "PromQL giving the workload's total request rate, req/s (a vector is summed)")
	fs.StringVar(&o.CPUQuery, "cpu-query", o.CPUQuery, "PromQL giving the mean CPU utilisation as a fraction; empty: request rate ÷ (ready × --capacity-per-instance)")
	fs.StringVar(&o.MemoryQuery, "memory-query", o.MemoryQuery, "PromQL giving the mean memory utilisation as a fraction; empty: not read")
	fs.StringVar(&o.QuantumQuery, "quantum-query", o.QuantumQuery, "PromQL giving the quantum job backlog, exported as quantum_workload; empty: not read")
	fs.Float64Var(&o.Capacity, "capacity-per-instance", o.Capacity, "requests per second one ready instance serves at 100% utilisation; 0 means unknown (then --cpu-query is needed by CPU policies)")
	fs.DurationVar(&o.QueryTimeout, "query-timeout", o.QueryTimeout, "timeout of each Prometheus query")
	fs.StringVar(&o.Target, "target", o.Target, "what to scale: deployment/NAME, statefulset/NAME, or process:'COMMAND ARGS' (local processes)")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "namespace of the target (default: the kubeconfig context's, else default)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster configuration)")
	fs.StringVar(&o.Context, "context", o.Context, "kubeconfig context (default: the current one)")
	fs.DurationVar(&o.KubeTimeout, "kube-timeout", o.KubeTimeout, "timeout of each Kubernetes API request")
	fs.StringVar(&o.Policy, "policy", o.Policy, "scaling policy with its defaults: "+strings.Join(livePolicies(), ", "))
	fs.StringVar(&o.PolicyFile, "policy-file", o.PolicyFile, "policy file (YAML or JSON: policy, name, params; or a Kubernetes autoscaling/v2 HPA manifest) holding one policy; overrides --policy")
	fs.DurationVar(&o.SyncPeriod, "sync-period", o.SyncPeriod, "time between two decisions")
	fs.DurationVar(&o.StartupDelay, "startup-delay", o.StartupDelay, "time from asking for an instance to its being ready, for policies that forecast")
	fs.IntVar(&o.MinInstances, "min-instances", o.MinInstances, "fewest instances (0: the policy's own bound)")
	fs.IntVar(&o.MaxInstances, "max-instances", o.MaxInstances, "most instances (0: the policy's own bound, else none)")
	fs.Float64Var(&o.MaxBudget, "max-budget-usd-per-hour", o.MaxBudget, "targets are clamped to what this affords at --price-usd-per-hour; 0 means no budget")
	fs.Float64Var(&o.PricePerHour, "price-usd-per-hour", o.PricePerHour, "price of one instance-hour, USD, for the budget and cost_usd_per_hour")
	fs.IntVar(&o.BreakerFailures, "breaker-failures", o.BreakerFailures, "consecutive failed calls that open a circuit breaker (orchestrator and Prometheus each have one; half of the last 20 calls failing opens it too)")
	fs.DurationVar(&o.BreakerOpenTimeout, "breaker-open-timeout", o.BreakerOpenTimeout, "how long an open breaker refuses calls before it lets a probe through")
	fs.IntVar(&o.RetryMaxAttempts, "retry-max-attempts", o.RetryMaxAttempts, "most calls per scale action, the first included (transient failures are retried with backoff)")
	fs.StringVar(&o.ProcessName, "process-name", o.ProcessName, "process target: instance i is named NAME-i")
	fs.IntVar(&o.ProcessBasePort, "process-base-port", o.ProcessBasePort, "process target: instance i gets port BASE+i in {port} and $PORT and is ready once it listens; 0: no ports")
	fs.DurationVar(&o.ProcessGrace, "process-grace", o.ProcessGrace, "process target: time between SIGTERM and SIGKILL when stopping an instance")
	fs.StringVar(&o.HAProxy, "haproxy", o.HAProxy, "process target: HAProxy runtime API (unix socket path or host:port) whose backend follows the instances; empty: none")
	fs.StringVar(&o.HAProxyBackend, "haproxy-backend", o.HAProxyBackend, "HAProxy backend the instances are added to")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, "listen address for /metrics, /healthz and /readyz")
	fs.BoolVar(&o.EnablePrometheus, "enable-prometheus", o.EnablePrometheus, "serve /metrics (/healthz and /readyz are always served)")
	fs.IntVar(&o.PrometheusPort, "prometheus-port", o.PrometheusPort, "when not 0, the port of --metrics-addr (the original module's PROMETHEUS_PORT)")
	fs.StringVar(&o.Record, "record", o.Record, "append every observation and decision to this CSV trace (replay --trace reads it)")
	fs.DurationVar(&o.RecordFsync, "record-fsync", o.RecordFsync, "longest time between two fsyncs of the recording")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "decide and log, change nothing (Kubernetes: updates are sent with dryRun=All)")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "log format on stderr: json or text")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "least log level: debug, info, warn or error")
	fs.StringVar(&o.ModuleName, "module-name", o.ModuleName, "name logged with every line (the original module's MODULE_NAME)")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "on SIGTERM or SIGINT, longest wait for the action in flight and the stopping instances")
}

// livePolicies are the policies that can run live (not the oracle, which
// needs the future).
func livePolicies() []string {
	var out []string
	for _, n := range policy.Names() {
		if n != "oracle" {
			out = append(out, n)
		}
	}
	return out
}

// envName returns the variable of a flag: sync-period → OMNIXAN_AUTOSCALING_SYNC_PERIOD.
func envName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// configError is a ConfigurationError that exits with status 2.
func configError(field, problem string, err error) error {
	return cli.Usage(&autoscaler.ConfigurationError{
		ScalingError: autoscaler.ScalingError{Op: autoscaler.OpConfigure, Err: err},
		Field:        field, Problem: problem,
	})
}

// Load parses args into o, then fills the flags not given from the
// environment (getenv, environ) and then from the --config file.
func (o *Options) Load(fs *pflag.FlagSet, args []string, environ []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return configError("command line", "", err)
	}
	if fs.NArg() > 0 {
		return cli.Usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	o.origin = map[string]string{}
	fs.Visit(func(f *pflag.Flag) { o.origin[f.Name] = "--" + f.Name })

	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, EnvPrefix), "_", "-"))
		if fs.Lookup(name) == nil || name == "help" {
			return configError(k, "is not a setting (autoscaler --help lists them; the variable of --FLAG-NAME is "+EnvPrefix+"FLAG_NAME)", nil)
		}
		env[name] = v
	}
	// --config itself may come from the environment.
	if v, ok := env["config"]; ok && o.origin["config"] == "" {
		if err := fs.Set("config", v); err != nil {
			return configError(envName("config"), "", err)
		}
		o.origin["config"] = envName("config")
	}
	file := map[string]string{}
	fileKey := map[string]string{}
	if o.Config != "" {
		var err error
		file, fileKey, err = readConfig(o.Config, fs)
		if err != nil {
			return err
		}
	}
	var errs error
	fs.VisitAll(func(f *pflag.Flag) {
		if errs != nil || o.origin[f.Name] != "" {
			return
		}
		if v, ok := env[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = configError(envName(f.Name), fmt.Sprintf("= %q", v), err)
			}
			o.origin[f.Name] = envName(f.Name)
			return
		}
		if v, ok := file[f.Name]; ok {
			where := o.Config + ": " + fileKey[f.Name]
			if err := fs.Set(f.Name, v); err != nil {
				errs = configError(where, fmt.Sprintf("= %q", v), err)
			}
			o.origin[f.Name] = where
		}
	})
	return errs
}

// readConfig reads a YAML or JSON object of flag names (with - or _) to
// scalar values, returned as flag strings by flag name, with the key as
// written in the file.
func readConfig(path string, fs *pflag.FlagSet) (vals, keys map[string]string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, configError("--config", "", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, configError(path, "is not YAML or JSON", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, configError(path, "is not a mapping of settings", err)
	}
	vals, keys = map[string]string{}, map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := strings.ReplaceAll(k, "_", "-")
		if fs.Lookup(name) == nil || name == "config" || name == "help" {
			return nil, nil, configError(path+": "+k, "is not a setting", nil)
		}
		var s string
		switch v := m[k].(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		case bool:
			s = strconv.FormatBool(v)
		case nil:
			continue
		default:
			return nil, nil, configError(path+": "+k, fmt.Sprintf("= %v: want a string, number or boolean", v), nil)
		}
		vals[name], keys[name] = s, k
	}
	return vals, keys, nil
}

// where names the source of flag's value for an error message.
func (o *Options) where(flag string) string {
	if w := o.origin[flag]; w != "" {
		return w
	}
	return "--" + flag
}

// Validate reports the first bad setting as a ConfigurationError naming
// the flag, variable or file key it came from.
func (o *Options) Validate() error {
	bad := func(flag, problem string) error { return configError(o.where(flag), problem, nil) }
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case o.Prometheus == "":
		return bad("prometheus", "is required: the Prometheus base URL")
	case o.Query == "":
		return bad("query", "is required: PromQL giving the request rate")
	case o.Target == "":
		return bad("target", "is required: deployment/NAME, statefulset/NAME or process:'COMMAND'")
	case !finite(o.Capacity) || o.Capacity < 0:
		return bad("capacity-per-instance", fmt.Sprintf("= %v: want a finite value ≥ 0", o.Capacity))
	case o.QueryTimeout <= 0:
		return bad("query-timeout", fmt.Sprintf("= %v: want > 0", o.QueryTimeout))
	case o.KubeTimeout <= 0:
		return bad("kube-timeout", fmt.Sprintf("= %v: want > 0", o.KubeTimeout))
	case o.SyncPeriod < 100*time.Millisecond || o.SyncPeriod > time.Hour:
		return bad("sync-period", fmt.Sprintf("= %v: want between 100ms and 1h", o.SyncPeriod))
	case o.StartupDelay < 0:
		return bad("startup-delay", fmt.Sprintf("= %v: want ≥ 0", o.StartupDelay))
	case o.MinInstances < 0:
		return bad("min-instances", fmt.Sprintf("= %d: want ≥ 0", o.MinInstances))
	case o.MaxInstances < 0 || (o.MaxInstances > 0 && o.MaxInstances < o.MinInstances):
		return bad("max-instances", fmt.Sprintf("= %d: want 0 (none) or ≥ --min-instances (%d)", o.MaxInstances, o.MinInstances))
	case !finite(o.MaxBudget) || o.MaxBudget < 0:
		return bad("max-budget-usd-per-hour", fmt.Sprintf("= %v: want ≥ 0", o.MaxBudget))
	case !finite(o.PricePerHour) || o.PricePerHour < 0:
		return bad("price-usd-per-hour", fmt.Sprintf("= %v: want ≥ 0", o.PricePerHour))
	case o.MaxBudget > 0 && o.PricePerHour == 0:
		return bad("price-usd-per-hour", "is needed with --max-budget-usd-per-hour")
	case o.BreakerFailures < 1:
		return bad("breaker-failures", fmt.Sprintf("= %d: want ≥ 1", o.BreakerFailures))
	case o.BreakerOpenTimeout <= 0:
		return bad("breaker-open-timeout", fmt.Sprintf("= %v: want > 0", o.BreakerOpenTimeout))
	case o.RetryMaxAttempts < 1:
		return bad("retry-max-attempts", fmt.Sprintf("= %d: want ≥ 1", o.RetryMaxAttempts))
	case o.ProcessBasePort < 0 || o.ProcessBasePort > 65535:
		return bad("process-base-port", fmt.Sprintf("= %d: want a port, or 0", o.ProcessBasePort))
	case o.ProcessGrace <= 0:
		return bad("process-grace", fmt.Sprintf("= %v: want > 0", o.ProcessGrace))
	case o.PrometheusPort < 0 || o.PrometheusPort > 65535:
		return bad("prometheus-port", fmt.Sprintf("= %d: want a port, or 0", o.PrometheusPort))
	case o.RecordFsync <= 0:
		return bad("record-fsync", fmt.Sprintf("= %v: want > 0", o.RecordFsync))
	case o.LogFormat != "json" && o.LogFormat != "text":
		return bad("log-format", fmt.Sprintf("= %q: want json or text", o.LogFormat))
	case o.ShutdownTimeout <= 0:
		return bad("shutdown-timeout", fmt.Sprintf("= %v: want > 0", o.ShutdownTimeout))
	}
	if u, err := url.Parse(o.Prometheus); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("prometheus", fmt.Sprintf("= %q: want an http(s) URL", o.Prometheus))
	}
	if _, err := o.level(); err != nil {
		return bad("log-level", err.Error())
	}
	if _, _, err := net.SplitHostPort(o.metricsAddr()); err != nil {
		return bad("metrics-addr", err.Error())
	}
	if _, err := o.target(); err != nil {
		return bad("target", err.Error())
	}
	if o.PolicyFile == "" {
		if o.Policy == "oracle" {
			return bad("policy", "= oracle: it needs the future, which live mode has not")
		}
		if _, err := policy.Lookup(o.Policy); err != nil {
			return bad("policy", err.Error())
		}
	}
	if o.HAProxy != "" && o.HAProxyBackend == "" {
		return bad("haproxy-backend", "is empty")
	}
	return nil
}

// metricsAddr is --metrics-addr with --prometheus-port applied.
func (o *Options) metricsAddr() string {
	if o.PrometheusPort == 0 {
		return o.MetricsAddr
	}
	host, _, err := net.SplitHostPort(o.MetricsAddr)
	if err != nil {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(o.PrometheusPort))
}

// target is a parsed --target.
type target struct {
	kind    string   // live.KindDeployment, live.KindStatefulSet or "process"
	name    string   // the workload's name
	command []string // the process command
}

func (o *Options) target() (target, error) {
	if cmd, ok := strings.CutPrefix(o.Target, "process:"); ok {
		words, err := live.SplitCommand(cmd)
		if err != nil {
			return target{}, err
		}
		return target{kind: "process", command: words}, nil
	}
	kind, name, ok := strings.Cut(o.Target, "/")
	kind = strings.ToLower(kind)
	switch kind {
	case "deploy", "deployments":
		kind = live.KindDeployment
	case "sts", "statefulsets":
		kind = live.KindStatefulSet
	}
	if !ok || name == "" || strings.Contains(name, "/") || (kind != live.KindDeployment && kind != live.KindStatefulSet) {
		return target{}, fmt.Errorf("= %q: want deployment/NAME, statefulset/NAME or process:'COMMAND ARGS'", o.Target)
	}
	return target{kind: kind, name: name}, nil
}

var errLevel = errors.New("want debug, info, warn or error")
