package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Errors a ManifestError wraps besides ErrInvalidConfig.
var (
	// ErrUnsupported marks a field that exists in autoscaling/v2 but that
	// the simulator does not model (a container metric, a memory target, a
	// metric selector).
	ErrUnsupported = errors.New("not supported")
	// ErrUnknownField marks a key autoscaling/v2 does not have, often a
	// misspelling. Keys are case-sensitive, as in Kubernetes.
	ErrUnknownField = errors.New("unknown field")
)

// ManifestError is a problem at one field of an HPA manifest. It unwraps
// to ErrInvalidConfig and to its cause (ErrUnsupported, ErrUnknownField,
// or a message wrapping ErrInvalidConfig).
type ManifestError struct {
	File string // the name given to ParseHPA; not part of Error()
	Path string // the field, "spec.metrics[1].containerResource"; "" for the whole document
	Err  error
}

// Error returns the field's path and the problem.
func (e *ManifestError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns ErrInvalidConfig and the cause.
func (e *ManifestError) Unwrap() []error { return []error{ErrInvalidConfig, e.Err} }

// LoadHPA reads an autoscaling/v2 HorizontalPodAutoscaler manifest, YAML
// or JSON, and returns the policy and its configuration (defaults filled
// in). Errors name the file and the field.
//
// The manifest maps onto HPAConfig as follows. metadata.name becomes the
// policy's label; spec.scaleTargetRef is recorded; minReplicas,
// maxReplicas and behavior carry over, with windows and periods in
// seconds. Metrics may be
//
//   - Resource cpu with a Utilization target (the instance capacity plays
//     the pod's CPU request);
//   - Pods, Object or External metrics named requests_per_second, the
//     trace's request rate: a Pods AverageValue target is per ready pod;
//     an Object or External Value target is the total, an AverageValue
//     target the total divided by the pod count.
//
// Memory, ContainerResource metrics, metric selectors and other metric
// names are errors naming the field, as are unknown or misspelled keys.
// Quantities take Kubernetes' notation: "500", "100m", "1.5k", "2Ki",
// "1e3".
func LoadHPA(path string) (*HPA, HPAConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, HPAConfig{}, err
	}
	cfg, err := ParseHPA(path, data)
	if err != nil {
		return nil, HPAConfig{}, fmt.Errorf("%s: %w", path, err)
	}
	p, err := NewHPA(cfg)
	if err != nil {
		return nil, HPAConfig{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, p.Config(), nil
}

// ParseHPAManifest is ParseHPA followed by NewHPA. Errors do not repeat
// name, which callers usually add.
func ParseHPAManifest(name string, data []byte) (*HPA, error) {
	cfg, err := ParseHPA(name, data)
	if err != nil {
		return nil, err
	}
	return NewHPA(cfg)
}

// ParseHPA converts an HPA manifest (see LoadHPA) into an HPAConfig. name
// is recorded in ManifestError.File. Errors are *ManifestError.
func ParseHPA(name string, data []byte) (HPAConfig, error) {
	fail := func(path string, err error) error { return &ManifestError{File: name, Path: path, Err: err} }
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return HPAConfig{}, fail("", fmt.Errorf("%w: not YAML or JSON: %v", ErrInvalidConfig, err))
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return HPAConfig{}, fail("", fmt.Errorf("%w: %v", ErrInvalidConfig, err))
	}
	if tree == nil {
		return HPAConfig{}, fail("", fmt.Errorf("%w: empty manifest", ErrInvalidConfig))
	}
	// An autoscaling/v1 manifest has other fields: say what is wrong
	// with it before listing them.
	if obj, ok := tree.(map[string]any); ok {
		if v, _ := obj["apiVersion"].(string); v != "autoscaling/v2" {
			return HPAConfig{}, fail("apiVersion", invalid("%s, want %q", describeJSON(obj["apiVersion"]), "autoscaling/v2"))
		}
		if v, _ := obj["kind"].(string); v != "HorizontalPodAutoscaler" {
			return HPAConfig{}, fail("kind", invalid("%s, want %q", describeJSON(obj["kind"]), "HorizontalPodAutoscaler"))
		}
	}
	// Check keys and value types against the schema first, so that every
	// error carries a full field path (encoding/json's do not).
	if path, err := checkJSON("", tree, reflect.TypeFor[k8sHPA]()); err != nil {
		return HPAConfig{}, fail(path, err)
	}
	var m k8sHPA
	dec = json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return HPAConfig{}, fail("", fmt.Errorf("%w: %v", ErrInvalidConfig, err))
	}
	cfg, path, err := m.config()
	if err != nil {
		return HPAConfig{}, fail(path, err)
	}
	return cfg, nil
}

// The structs below mirror autoscaling/v2 (k8s.io/api/autoscaling/v2
// types.go) field for field, so that any other key is unknown. Fields the
// simulator does not model are json.RawMessage and rejected when set.

type k8sHPA struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   k8sObjectMeta   `json:"metadata"`
	Spec       *k8sHPASpec     `json:"spec"`
	Status     json.RawMessage `json:"status"` // written by the controller; ignored
}

// k8sObjectMeta is metav1.ObjectMeta; only name is used.
type k8sObjectMeta struct {
	Name                       string            `json:"name"`
	GenerateName               string            `json:"generateName"`
	Namespace                  string            `json:"namespace"`
	Labels                     map[string]string `json:"labels"`
	Annotations                map[string]string `json:"annotations"`
	SelfLink                   json.RawMessage   `json:"selfLink"`
	UID                        json.RawMessage   `json:"uid"`
	ResourceVersion            json.RawMessage   `json:"resourceVersion"`
	Generation                 json.RawMessage   `json:"generation"`
	CreationTimestamp          json.RawMessage   `json:"creationTimestamp"`
	DeletionTimestamp          json.RawMessage   `json:"deletionTimestamp"`
	DeletionGracePeriodSeconds json.RawMessage   `json:"deletionGracePeriodSeconds"`
	OwnerReferences            json.RawMessage   `json:"ownerReferences"`
	Finalizers                 json.RawMessage   `json:"finalizers"`
	ManagedFields              json.RawMessage   `json:"managedFields"`
}

type k8sHPASpec struct {
	ScaleTargetRef    *k8sObjectRef   `json:"scaleTargetRef"`
	MinReplicas       *int32          `json:"minReplicas"`
	MaxReplicas       *int32          `json:"maxReplicas"`
	Metrics           []k8sMetricSpec `json:"metrics"`
	Behavior          *k8sBehavior    `json:"behavior"`
	SelectionStrategy *string         `json:"selectionStrategy"` // alpha; only the default is accepted
}

// k8sObjectRef is CrossVersionObjectReference.
type k8sObjectRef struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion"`
}

type k8sMetricSpec struct {
	Type              string             `json:"type"`
	Object            *k8sObjectSource   `json:"object"`
	Pods              *k8sPodsSource     `json:"pods"`
	Resource          *k8sResourceSource `json:"resource"`
	ContainerResource json.RawMessage    `json:"containerResource"` // unsupported
	External          *k8sExternalSource `json:"external"`
}

type k8sObjectSource struct {
	DescribedObject k8sObjectRef        `json:"describedObject"`
	Target          k8sMetricTarget     `json:"target"`
	Metric          k8sMetricIdentifier `json:"metric"`
}

type k8sPodsSource struct {
	Metric k8sMetricIdentifier `json:"metric"`
	Target k8sMetricTarget     `json:"target"`
}

type k8sResourceSource struct {
	Name   string          `json:"name"`
	Target k8sMetricTarget `json:"target"`
}

type k8sExternalSource struct {
	Metric k8sMetricIdentifier `json:"metric"`
	Target k8sMetricTarget     `json:"target"`
}

type k8sMetricIdentifier struct {
	Name     string          `json:"name"`
	Selector json.RawMessage `json:"selector"` // unsupported
}

type k8sMetricTarget struct {
	Type               string    `json:"type"`
	Value              *quantity `json:"value"`
	AverageValue       *quantity `json:"averageValue"`
	AverageUtilization *int32    `json:"averageUtilization"`
}

type k8sBehavior struct {
	ScaleUp   *k8sScalingRules `json:"scaleUp"`
	ScaleDown *k8sScalingRules `json:"scaleDown"`
}

type k8sScalingRules struct {
	StabilizationWindowSeconds *int32             `json:"stabilizationWindowSeconds"`
	SelectPolicy               *string            `json:"selectPolicy"`
	Policies                   []k8sScalingPolicy `json:"policies"`
	Tolerance                  *quantity          `json:"tolerance"`
}

type k8sScalingPolicy struct {
	Type          string `json:"type"`
	Value         int32  `json:"value"`
	PeriodSeconds int32  `json:"periodSeconds"`
}

// quantity holds a resource.Quantity as written (a JSON string or
// number); it is parsed where its field path is known.
type quantity struct{ raw json.RawMessage }

func (q *quantity) UnmarshalJSON(b []byte) error {
	q.raw = append(q.raw[:0], b...)
	return nil
}

// value parses the quantity.
func (q *quantity) value() (float64, error) {
	s := string(q.raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(q.raw, &s); err != nil {
			return 0, err
		}
	} else if s == "" || strings.ContainsAny(s[:1], "[{tfn") {
		return 0, fmt.Errorf("%s is not a quantity", s)
	}
	return parseQuantity(s)
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// checkJSON walks a decoded JSON value (numbers as json.Number) against
// the Go type it will be decoded into and returns the path of the first
// unknown key or mistyped value, in sorted key order. It does not descend
// into types that decode themselves. JSON null is accepted anywhere.
func checkJSON(path string, v any, t reflect.Type) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessageType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", nil
	}
	want := func(what string) (string, error) {
		return path, fmt.Errorf("%w: %s, want %s", ErrInvalidConfig, describeJSON(v), what)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return want("an object")
		}
		fields := make(map[string]reflect.Type, t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
		}
		for _, k := range slices.Sorted(mapsKeys(obj)) {
			sub := joinPath(path, k)
			ft, ok := fields[k]
			if !ok {
				return sub, ErrUnknownField
			}
			if p, err := checkJSON(sub, obj[k], ft); err != nil {
				return p, err
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return want("an object")
		}
		for _, k := range slices.Sorted(mapsKeys(obj)) {
			if p, err := checkJSON(joinPath(path, k), obj[k], t.Elem()); err != nil {
				return p, err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return want("a list")
		}
		for i, e := range arr {
			if p, err := checkJSON(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()); err != nil {
				return p, err
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return want("a string")
		}
	case reflect.Int32:
		n, ok := v.(json.Number)
		if !ok {
			return want("an integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, 32); err != nil {
			return want("a 32-bit integer")
		}
	default:
		panic("policy: checkJSON: unexpected kind " + t.Kind().String())
	}
	return "", nil
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing"
	case string:
		return strconv.Quote(v)
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(v)
}

func set(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// config maps the manifest onto an HPAConfig; on error it returns the
// field path.
func (m *k8sHPA) config() (HPAConfig, string, error) {
	var cfg HPAConfig // apiVersion and kind are checked by ParseHPA
	s := m.Spec
	if s == nil {
		return cfg, "spec", invalid("missing")
	}
	cfg.Name = m.Metadata.Name
	if r := s.ScaleTargetRef; r != nil {
		if r.Kind == "" || r.Name == "" {
			return cfg, "spec.scaleTargetRef", invalid("kind and name are required")
		}
		cfg.ScaleTarget = &HPATargetRef{APIVersion: r.APIVersion, Kind: r.Kind, Name: r.Name}
	}
	if s.SelectionStrategy != nil && *s.SelectionStrategy != "LabelSelector" {
		return cfg, "spec.selectionStrategy", unsupported("%q (only the default, LabelSelector)", *s.SelectionStrategy)
	}
	if s.MaxReplicas == nil {
		return cfg, "spec.maxReplicas", invalid("required")
	}
	cfg.MaxReplicas = int(*s.MaxReplicas)
	if cfg.MaxReplicas < 1 {
		return cfg, "spec.maxReplicas", invalid("%d, want ≥ 1", cfg.MaxReplicas)
	}
	if s.MinReplicas != nil {
		n := int(*s.MinReplicas)
		if n < 0 || n > cfg.MaxReplicas {
			return cfg, "spec.minReplicas", invalid("%d, want 0–maxReplicas (%d)", n, cfg.MaxReplicas)
		}
		cfg.MinReplicas = &n
	}
	for i := range s.Metrics {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		hm, sub, err := s.Metrics[i].metric()
		if err != nil {
			return cfg, path + sub, err
		}
		cfg.Metrics = append(cfg.Metrics, hm)
	}
	if b := s.Behavior; b != nil {
		cfg.Behavior = &HPABehavior{}
		var err error
		var sub string
		if cfg.Behavior.ScaleUp, sub, err = b.ScaleUp.rules(); err != nil {
			return cfg, "spec.behavior.scaleUp" + sub, err
		}
		if cfg.Behavior.ScaleDown, sub, err = b.ScaleDown.rules(); err != nil {
			return cfg, "spec.behavior.scaleDown" + sub, err
		}
	}
	if cfg.MinReplicas != nil && *cfg.MinReplicas == 0 && !slices.ContainsFunc(cfg.Metrics, func(m HPAMetric) bool {
		return m.Type == HPAObject || m.Type == HPAExternal
	}) {
		return cfg, "spec.minReplicas", invalid("0 (scale to zero) needs an Object or External metric")
	}
	if err := cfg.Validate(); err != nil {
		// The checks above mirror Validate's; this catches the rest
		// (scale to zero without an Object or External metric).
		return cfg, "spec", err
	}
	return cfg, "", nil
}

// metric maps one MetricSpec; on error it returns the path below
// spec.metrics[i].
func (ms *k8sMetricSpec) metric() (HPAMetric, string, error) {
	var m HPAMetric
	if set(ms.ContainerResource) {
		return m, ".containerResource", unsupported("per-container metrics are not modelled")
	}
	members := []struct {
		name, typ string
		set       bool
	}{
		{"object", "Object", ms.Object != nil},
		{"pods", "Pods", ms.Pods != nil},
		{"resource", "Resource", ms.Resource != nil},
		{"external", "External", ms.External != nil},
	}
	switch ms.Type {
	case "Object", "Pods", "Resource", "External":
	case "ContainerResource":
		return m, ".type", unsupported("ContainerResource: per-container metrics are not modelled")
	case "":
		return m, ".type", invalid("required")
	default:
		return m, ".type", invalid("%q, want Resource, Pods, Object or External", ms.Type)
	}
	for _, mb := range members {
		switch {
		case mb.typ == ms.Type && !mb.set:
			return m, "." + mb.name, invalid("required for type %s", ms.Type)
		case mb.typ != ms.Type && mb.set:
			return m, "." + mb.name, invalid("must not be set for type %s", ms.Type)
		}
	}
	m.Type = HPAMetricType(ms.Type)
	switch ms.Type {
	case "Resource":
		r := ms.Resource
		switch r.Name {
		case HPAMetricCPU:
		case "memory":
			return m, ".resource.name", unsupported("memory is not modelled by the simulator yet")
		default:
			return m, ".resource.name", unsupported("resource %q: only cpu is modelled", r.Name)
		}
		m.Name = HPAMetricCPU
		if r.Target.Type == "AverageValue" || r.Target.Type == "Value" {
			return m, ".resource.target.type", unsupported("%s: CPU is modelled as utilisation only; use Utilization", r.Target.Type)
		}
		u, sub, err := r.Target.parse("Utilization")
		if err != nil {
			return m, ".resource.target" + sub, err
		}
		m.AverageUtilization = int(u)
	case "Pods":
		if sub, err := ms.Pods.Metric.check(); err != nil {
			return m, ".pods.metric" + sub, err
		}
		m.Name = HPAMetricRequestsPerSecond
		v, sub, err := ms.Pods.Target.parse("AverageValue")
		if err != nil {
			return m, ".pods.target" + sub, err
		}
		m.AverageValue = v
	case "Object", "External":
		var member string
		var id *k8sMetricIdentifier
		var target *k8sMetricTarget
		if ms.Type == "Object" {
			member, id, target = "object", &ms.Object.Metric, &ms.Object.Target
			if d := ms.Object.DescribedObject; d.Kind == "" || d.Name == "" {
				return m, ".object.describedObject", invalid("kind and name are required")
			}
		} else {
			member, id, target = "external", &ms.External.Metric, &ms.External.Target
		}
		if sub, err := id.check(); err != nil {
			return m, "." + member + ".metric" + sub, err
		}
		m.Name = HPAMetricRequestsPerSecond
		v, sub, err := target.parse("Value", "AverageValue")
		if err != nil {
			return m, "." + member + ".target" + sub, err
		}
		if target.Type == "Value" {
			m.Value = v
		} else {
			m.AverageValue = v
		}
	}
	return m, "", nil
}

// check accepts the metric names the simulator can supply.
func (id *k8sMetricIdentifier) check() (string, error) {
	if set(id.Selector) {
		return ".selector", unsupported("metric selectors: the trace has one series per column")
	}
	if id.Name != HPAMetricRequestsPerSecond {
		return ".name", unsupported("metric %q is not a trace column; the simulator has %s (the request rate)", id.Name, HPAMetricRequestsPerSecond)
	}
	return "", nil
}

// parse checks that the target's type is one of types, that exactly the
// matching field is set, and returns its value (> 0).
func (t *k8sMetricTarget) parse(types ...string) (float64, string, error) {
	if t.Type == "" {
		return 0, ".type", invalid("required")
	}
	if !slices.Contains(types, t.Type) {
		return 0, ".type", invalid("%q, want %s", t.Type, strings.Join(types, " or "))
	}
	fields := []struct {
		name, typ string
		set       bool
	}{
		{"value", "Value", t.Value != nil},
		{"averageValue", "AverageValue", t.AverageValue != nil},
		{"averageUtilization", "Utilization", t.AverageUtilization != nil},
	}
	for _, f := range fields {
		switch {
		case f.typ == t.Type && !f.set:
			return 0, "." + f.name, invalid("required for type %s", t.Type)
		case f.typ != t.Type && f.set:
			return 0, "." + f.name, invalid("must not be set for type %s", t.Type)
		}
	}
	switch t.Type {
	case "Utilization":
		if u := *t.AverageUtilization; u <= 0 {
			return 0, ".averageUtilization", invalid("%d, want > 0", u)
		}
		return float64(*t.AverageUtilization), "", nil
	case "Value":
		v, err := positiveQuantity(t.Value)
		return v, ".value", err
	default:
		v, err := positiveQuantity(t.AverageValue)
		return v, ".averageValue", err
	}
}

func positiveQuantity(q *quantity) (float64, error) {
	v, err := q.value()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if v <= 0 {
		return 0, invalid("%v, want > 0", v)
	}
	return v, nil
}

// rules maps one direction's HPAScalingRules; on error it returns the
// path below it. Nil stays nil (all defaults).
func (r *k8sScalingRules) rules() (*HPAScalingRules, string, error) {
	if r == nil {
		return nil, "", nil
	}
	var out HPAScalingRules
	if w := r.StabilizationWindowSeconds; w != nil {
		if *w < 0 || *w > 3600 {
			return nil, ".stabilizationWindowSeconds", invalid("%d, want 0–3600", *w)
		}
		out.StabilizationWindow = ptr(time.Duration(*w) * time.Second)
	}
	if sp := r.SelectPolicy; sp != nil {
		switch HPASelectPolicy(*sp) {
		case HPASelectMax, HPASelectMin, HPASelectDisabled:
			out.SelectPolicy = HPASelectPolicy(*sp)
		default:
			return nil, ".selectPolicy", invalid("%q, want Max, Min or Disabled", *sp)
		}
	}
	if r.Policies != nil {
		if len(r.Policies) == 0 {
			return nil, ".policies", invalid("empty, want at least one policy")
		}
		out.Policies = []HPAScalingPolicy{}
		for i, p := range r.Policies {
			path := fmt.Sprintf(".policies[%d]", i)
			switch HPAPolicyType(p.Type) {
			case HPAPolicyPods, HPAPolicyPercent:
			default:
				return nil, path + ".type", invalid("%q, want Pods or Percent", p.Type)
			}
			if p.Value <= 0 {
				return nil, path + ".value", invalid("%d, want > 0", p.Value)
			}
			if p.PeriodSeconds <= 0 || p.PeriodSeconds > 1800 {
				return nil, path + ".periodSeconds", invalid("%d, want 1–1800", p.PeriodSeconds)
			}
			out.Policies = append(out.Policies, HPAScalingPolicy{
				Type:   HPAPolicyType(p.Type),
				Value:  int(p.Value),
				Period: time.Duration(p.PeriodSeconds) * time.Second,
			})
		}
	}
	if r.Tolerance != nil {
		v, err := r.Tolerance.value()
		if err != nil {
			return nil, ".tolerance", fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		if v < 0 {
			return nil, ".tolerance", invalid("%v, want ≥ 0", v)
		}
		out.Tolerance = &v
	}
	return &out, "", nil
}

// errQuantity is wrapped by every parseQuantity error.
var errQuantity = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")

// quantitySuffixes are resource.Quantity's decimal SI and binary SI
// suffixes with their multipliers.
var quantitySuffixes = map[string]float64{
	"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1,
	"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}

// parseQuantity parses a Kubernetes quantity (k8s.io/apimachinery
// resource.ParseQuantity's grammar) into its value:
//
//	quantity ::= [+-] number suffix
//	number   ::= digits | digits "." digits? | "." digits
//	suffix   ::= "" | n u m k M G T P E | Ki Mi Gi Ti Pi Ei | (e|E) [+-] digits
//
// The result is exact for the usual magnitudes; huge or tiny values
// carry float64 rounding.
func parseQuantity(s string) (float64, error) {
	bad := func() (float64, error) { return 0, fmt.Errorf("%q: %w", s, errQuantity) }
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			continue
		case c == '.' && !dot:
			dot = true
			continue
		}
		break
	}
	if digits == 0 {
		return bad()
	}
	num, suffix := s[:i], s[i:]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return bad()
	}
	mult, ok := quantitySuffixes[suffix]
	if !ok {
		if suffix[0] != 'e' && suffix[0] != 'E' {
			return bad()
		}
		exp := strings.TrimLeft(suffix[1:], "+-")
		if len(suffix[1:])-len(exp) > 1 || exp == "" || strings.Trim(exp, "0123456789") != "" {
			return bad()
		}
		exp = suffix[1:]
		e, err := strconv.Atoi(exp)
		if err != nil || e < -400 || e > 400 {
			return bad()
		}
		mult = math.Pow10(e)
	}
	v *= mult
	if !finite(v) {
		return bad()
	}
	return v, nil
}
