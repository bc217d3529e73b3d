package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// ErrUnknownPolicy is returned by Lookup for a name no Spec has.
var ErrUnknownPolicy = errors.New("unknown policy")

// Env is what a policy may need to know of the world it runs in, to
// derive defaults such as a forecast horizon.
type Env struct {
	StartupDelay time.Duration // time from asking for an instance to its being ready
	SyncPeriod   time.Duration // time between two decisions
	Capacity     float64       // req/s one ready instance serves
	// Pool names the resource pool the policy scales: "" for the classical
	// service, PoolSimulators for the state-vector simulator workers,
	// PoolQPU + a backend name for that backend's reserved QPUs. Policies
	// that take per-pool settings (static) read it.
	Pool string
}

// Bounded is implemented by policies that carry their own instance bounds,
// which the autoscaler loop then enforces. Max 0 means no upper bound.
type Bounded interface {
	Bounds() (min, max int)
}

// Param documents one parameter of a policy, as `sim policies` lists it.
type Param struct {
	Name    string // key in a policy file
	Unit    string
	Default string
	Doc     string
}

// Spec is a policy selectable by name.
type Spec struct {
	Name    string
	Summary string
	Params  []Param
	// New builds the policy from the parameters of a policy file (nil for
	// all defaults). Unknown keys and out-of-range values are errors that
	// name the key.
	New func(env Env, params map[string]any) (Policy, error)
}

var specs []Spec

// register adds a Spec; files of this package call it from init.
func register(s Spec) {
	if slices.ContainsFunc(specs, func(o Spec) bool { return o.Name == s.Name }) {
		panic("policy: registered twice: " + s.Name)
	}
	specs = append(specs, s)
	slices.SortFunc(specs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
}

// Specs returns every policy selectable by name, sorted by name.
func Specs() []Spec { return slices.Clone(specs) }

// Names returns the names of Specs.
func Names() []string {
	var n []string
	for _, s := range specs {
		n = append(n, s.Name)
	}
	return n
}

// Lookup returns the Spec of that name.
func Lookup(name string) (Spec, error) {
	for _, s := range specs {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("%w %q (have %s)", ErrUnknownPolicy, name, strings.Join(Names(), ", "))
}

// DecodeParams sets the fields of the struct dst points to from params,
// matching keys to the fields' json tags. It is strict: a key with no
// field is an error naming the key. time.Duration fields take a duration
// string ("300s", "5m") or a number of seconds; pointer fields are set
// (so a key present with a zero value differs from one left out); nested
// structs and slices are decoded the same way, field by field.
func DecodeParams(params map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("policy.DecodeParams: dst must point to a struct")
	}
	return decodeStruct("", params, v.Elem())
}

var durationType = reflect.TypeFor[time.Duration]()

func decodeStruct(path string, params map[string]any, v reflect.Value) error {
	fields := map[string]reflect.Value{}
	var known []string
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = v.Field(i)
		known = append(known, name)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the first bad key deterministically
	for _, k := range keys {
		fv, ok := fields[k]
		if !ok {
			return fmt.Errorf("%w: unknown key %q (known: %s)", ErrInvalidConfig, join(path, k), strings.Join(known, ", "))
		}
		if err := decodeValue(join(path, k), params[k], fv); err != nil {
			return err
		}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func decodeValue(path string, raw any, v reflect.Value) error {
	bad := func(want string) error {
		return fmt.Errorf("%w: %s = %v: want %s", ErrInvalidConfig, path, raw, want)
	}
	switch {
	case v.Type() == durationType:
		switch x := raw.(type) {
		case string:
			d, err := time.ParseDuration(x)
			if err != nil {
				return bad("a duration such as 300s or 5m")
			}
			v.SetInt(int64(d))
		case float64:
			v.SetInt(int64(x * float64(time.Second)))
		default:
			return bad("a duration such as 300s, or seconds")
		}
		return nil
	case v.Kind() == reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			return bad("an object")
		}
		return decodeStruct(path, m, v)
	case v.Kind() == reflect.Pointer:
		if raw == nil {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(path, raw, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case v.Kind() == reflect.Slice:
		items, ok := raw.([]any)
		if !ok {
			return bad("a list")
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), it, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	// Scalars and lists of scalars: through encoding/json, strictly.
	b, err := json.Marshal(raw)
	if err != nil {
		return bad(v.Type().String())
	}
	p := reflect.New(v.Type())
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		return bad(kindName(v.Type()))
	}
	v.Set(p.Elem())
	return nil
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

func init() {
	register(Spec{
		Name:    "threshold",
		Summary: "the original module's: scale toward the target utilisation when it leaves [scale_down, scale_up], with a cooldown",
		Params: []Param{
			{"scale_up", "fraction", "0.85", "utilisation above which to scale up"},
			{"scale_down", "fraction", "0.40", "utilisation below which to scale down"},
			{"target", "fraction", "0.75", "utilisation to scale toward"},
			{"cooldown", "duration", "300s", "least time between two scale actions"},
			{"min", "instances", "2", "fewest instances"},
			{"max", "instances", "20", "most instances"},
		},
		New: func(_ Env, params map[string]any) (Policy, error) {
			var c ThresholdConfig
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewThreshold(c)
		},
	})
	register(Spec{
		Name:    "oracle",
		Summary: "clairvoyant: the least instances meeting the SLO at every step given the start-up delay; the lower bound on spend (simulation only)",
		New: func(env Env, params map[string]any) (Policy, error) {
			if len(params) > 0 {
				return nil, fmt.Errorf("%w: the oracle takes no parameters", ErrInvalidConfig)
			}
			return &Oracle{StartupDelay: env.StartupDelay, SyncPeriod: env.SyncPeriod}, nil
		},
	})
}

func init() {
	register(Spec{
		Name:    "step",
		Summary: "AWS EC2 Auto Scaling step scaling: alarms with step adjustments, instance warm-up, a scale-in cooldown",
		Params: []Param{
			{"metric", "name", "cpu", "what the alarms watch: cpu, requests_per_instance (req/s) or offered_utilization"},
			{"scale_out", "object", "70%: +1, +2, +30%", "alarm {threshold, evaluation_periods, steps [{lower_bound, upper_bound, type, adjustment}], min_adjustment_magnitude}"},
			{"scale_in", "object", "30%: −1 after 3", "alarm, as scale_out"},
			{"warm_up", "duration", "300s", "time a new instance is not counted toward current capacity on scale-out"},
			{"scale_in_cooldown", "duration", "300s", "least time between scale-in actions"},
			{"min", "instances", "1", "fewest instances"},
			{"max", "instances", "100", "most instances"},
		},
		New: func(_ Env, params map[string]any) (Policy, error) {
			var c StepScalingConfig
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewStepScaling(c)
		},
	})
	register(Spec{
		Name:    "target-tracking",
		Summary: "AWS target tracking: keeps a metric at its target, scaling out at once and in conservatively",
		Params: []Param{
			{"metric", "name", "cpu", "cpu, requests_per_instance (req/s) or offered_utilization"},
			{"target", "metric's unit", "0.5", "value to hold the metric at"},
			{"scale_in_period", "duration", "15m", "proposals must stay below the current count this long before a scale-in"},
			{"scale_in_step", "fraction", "0.1", "largest share of capacity removed by one scale-in"},
			{"warm_up", "duration", "300s", "time a new instance is still warming"},
			{"min", "instances", "1", "fewest instances"},
			{"max", "instances", "100", "most instances"},
		},
		New: func(_ Env, params map[string]any) (Policy, error) {
			var c TargetTrackingConfig
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewTargetTracking(c)
		},
	})
	register(Spec{
		Name:    "predictive",
		Summary: "provisions for the demand forecast at the provisioning delay (forecast.Auto), never scales in on the forecast, falls back to reactive",
		Params: []Param{
			{"method", "name", "auto", "forecasting method (replay forecast --help lists them)"},
			{"bucket", "duration", "5m", "history resolution the forecaster works at"},
			{"history", "duration", "336h", "history kept"},
			{"min_history", "duration", "24h", "history needed before the first fit"},
			{"refit_every", "duration", "6h", "time between refits; the model is updated online in between"},
			{"seasons", "durations", "[24h, 168h]", "seasonal periods"},
			{"horizon", "duration", "start-up delay + sync + bucket", "how far ahead to provision"},
			{"headroom", "name", "hi80", "forecast bound provisioned for: mean, hi80 or hi95"},
			{"target_utilization", "fraction", "0.95", "utilisation at the forecast demand"},
			{"reactive", "object", "offered_utilization at 0.9", "the target-tracking part that also scales in"},
			{"surge_rise", "fraction", "0.15", "a rise this large within surge_window is extrapolated to when capacity is ready"},
			{"surge_window", "duration", "60s", "window of the surge rule"},
			{"no_surge", "bool", "false", "turn the surge rule off"},
			{"fallback_smape", "percent", "25", "act reactively while the recent forecast sMAPE is above this"},
			{"score_window", "forecasts", "48", "forecasts in that rolling sMAPE"},
			{"forecast_only", "bool", "false", "record what the forecast would do, act reactively"},
			{"min", "instances", "1", "fewest instances"},
			{"max", "instances", "100", "most instances"},
		},
		New: func(env Env, params map[string]any) (Policy, error) {
			c := PredictiveConfig{StartupDelay: env.StartupDelay, SyncPeriod: env.SyncPeriod}
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewPredictive(c)
		},
	})
	register(Spec{
		Name:    "hpa",
		Summary: "the Kubernetes HorizontalPodAutoscaler, after the upstream controller; a manifest can be given with --policy-file",
		Params: []Param{
			{"min_replicas", "instances", "1", "fewest replicas"},
			{"max_replicas", "instances", "100", "most replicas (required in a manifest; 100 here, as KEDA's default and the AWS policies')"},
			{"metrics", "list", "cpu at 80%", "targets: {type: Resource, name: cpu, average_utilization: %} or {type: Pods, name: requests_per_second, average_value: req/s}; the largest proposal wins"},
			{"tolerance", "fraction", "0.1", "no scaling while |1 − metric/target| ≤ tolerance"},
			{"downscale_stabilization", "duration", "300s", "legacy path: scale down to the highest recommendation of this window"},
			{"behavior", "object", "none (legacy path)", "scale_up/scale_down: stabilization_window, select_policy (Max, Min, Disabled), policies [{type: Pods|Percent, value, period}], as autoscaling/v2"},
		},
		New: func(_ Env, params map[string]any) (Policy, error) {
			c := HPAConfig{MaxReplicas: 100}
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewHPA(c)
		},
	})
	register(Spec{
		Name:    "vertical",
		Summary: "the Kubernetes VPA: decaying usage histograms recommend a CPU and memory size; resizes restart instances in a rolling restart; the count is kept",
		Params: []Param{
			{"metric", "name", "offered_utilization", "CPU use recorded: cpu (observed, capped at the size) or offered_utilization (with the unserved demand, as a container bursting above its request)"},
			{"half_life", "duration", "24h", "half-life of the usage histograms' samples"},
			{"target_percentile", "fraction", "0.9", "usage percentile behind the target size"},
			{"lower_percentile", "fraction", "0.5", "usage percentile behind the lower bound"},
			{"upper_percentile", "fraction", "0.95", "usage percentile behind the upper bound"},
			{"safety_margin", "fraction", "0.15", "added to every percentile"},
			{"oom_bump_ratio", "factor", "1.2", "memory after an OOM kill: max(memory × this, memory + oom_min_bump_gib)"},
			{"oom_min_bump_gib", "GiB", "0.09765625 (100 MiB)", "least memory increase after an OOM kill"},
			{"min_cpu", "vCPU", "0.025", "least CPU recommended"},
			{"min_memory_gib", "GiB", "0.2328 (250 MB)", "least memory recommended"},
			{"max_cpu", "vCPU", "64", "most CPU asked for"},
			{"max_memory_gib", "GiB", "256", "most memory asked for"},
			{"cpu_step", "vCPU", "0.25", "sizes are rounded up to this"},
			{"memory_step_gib", "GiB", "0.25", "sizes are rounded up to this"},
			{"cooldown", "duration", "10m", "least time between resizes, except after an OOM kill"},
		},
		New: func(_ Env, params map[string]any) (Policy, error) {
			var c VerticalConfig
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewVertical(c)
		},
	})
	register(Spec{
		Name:    "hybrid",
		Summary: "the cheapest instance size × count from a catalogue covering the predictive policy's demand forecast",
		Params: []Param{
			{"predictive", "object", "predictive's defaults", "the demand forecast and its reactive fallback, as the predictive policy's parameters (min and max ignored)"},
			{"catalogue", "list", "1, 2, 4, 8 vCPU at 2 GiB/vCPU, 0.05 USD per vCPU-hour", "instance types [{name, cpu, memory_gib, usd_per_hour}]"},
			{"resize_saving", "fraction", "0.1", "least saving of the hourly cost for which to change size"},
			{"resize_cooldown", "duration", "30m", "least time between changes of size"},
			{"min", "instances", "1", "fewest instances"},
			{"max", "instances", "100", "most instances"},
		},
		New: func(env Env, params map[string]any) (Policy, error) {
			c := HybridConfig{Predictive: PredictiveConfig{StartupDelay: env.StartupDelay, SyncPeriod: env.SyncPeriod}}
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewHybrid(c)
		},
	})
}
