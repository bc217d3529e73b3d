package policy

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseHPAExamples parses the example manifests of the Kubernetes
// documentation (each file says which) into configurations.
func TestParseHPAExamples(t *testing.T) {
	const s = time.Second
	web := &HPATargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	php := &HPATargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "php-apache"}
	multi := HPAConfig{
		Name: "php-apache", ScaleTarget: php, MinReplicas: ptr(1), MaxReplicas: 10,
		Metrics: []HPAMetric{cpuMetric(50), rpsMetric(HPAPods, 0, 1000), rpsMetric(HPAObject, 10000, 0)},
	}
	tests := []struct {
		file string
		want HPAConfig
	}{
		{"php-apache.yaml", HPAConfig{Name: "php-apache", ScaleTarget: php, MinReplicas: ptr(1), MaxReplicas: 10, Metrics: []HPAMetric{cpuMetric(50)}}},
		{"multiple-metrics.yaml", multi},
		{"multiple-metrics.json", multi},
		{"external-queue.yaml", HPAConfig{
			Name: "worker", ScaleTarget: &HPATargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "worker"},
			MinReplicas: ptr(2), MaxReplicas: 50, Metrics: []HPAMetric{rpsMetric(HPAExternal, 0, 30)},
		}},
		{"scaling-policies.yaml", HPAConfig{
			Name: "scaling-policies", ScaleTarget: web, MaxReplicas: 100, Metrics: externalHundredPerPod,
			Behavior: &HPABehavior{ScaleDown: &HPAScalingRules{Policies: []HPAScalingPolicy{
				{Type: HPAPolicyPods, Value: 4, Period: 60 * s},
				{Type: HPAPolicyPercent, Value: 10, Period: 60 * s},
			}}},
		}},
		{"default-behavior.yaml", HPAConfig{
			Name: "default-behavior", ScaleTarget: web, MaxReplicas: 100,
			Behavior: &HPABehavior{
				ScaleDown: &HPAScalingRules{StabilizationWindow: ptr(300 * s), Policies: []HPAScalingPolicy{
					{Type: HPAPolicyPercent, Value: 100, Period: 15 * s},
				}},
				ScaleUp: rules(0, HPASelectMax,
					HPAScalingPolicy{Type: HPAPolicyPercent, Value: 100, Period: 15 * s},
					HPAScalingPolicy{Type: HPAPolicyPods, Value: 4, Period: 15 * s}),
			},
		}},
		{"stabilization-window.yaml", HPAConfig{
			Name: "stabilization-window", ScaleTarget: web, MaxReplicas: 100,
			Behavior: &HPABehavior{ScaleDown: &HPAScalingRules{StabilizationWindow: ptr(60 * s)}},
		}},
		{"limit-scale-down.yaml", HPAConfig{
			Name: "limit-scale-down", ScaleTarget: web, MaxReplicas: 100,
			Behavior: &HPABehavior{ScaleDown: &HPAScalingRules{SelectPolicy: HPASelectMin, Policies: []HPAScalingPolicy{
				{Type: HPAPolicyPercent, Value: 10, Period: 60 * s},
				{Type: HPAPolicyPods, Value: 5, Period: 60 * s},
			}}},
		}},
		{"disable-scale-down.yaml", HPAConfig{
			Name: "disable-scale-down", ScaleTarget: web, MaxReplicas: 100,
			Behavior: &HPABehavior{ScaleDown: &HPAScalingRules{SelectPolicy: HPASelectDisabled}},
		}},
		{"tolerance.yaml", HPAConfig{
			Name: "tolerance", ScaleTarget: web, MinReplicas: ptr(3), MaxReplicas: 30,
			Metrics:  []HPAMetric{rpsMetric(HPAPods, 0, 2.5)},
			Behavior: &HPABehavior{ScaleUp: &HPAScalingRules{Tolerance: ptr(0.05)}, ScaleDown: &HPAScalingRules{Tolerance: ptr(0.2)}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "hpa", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseHPA(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseHPA (-want +got):\n%s", diff)
			}
			if _, err := NewHPA(got); err != nil {
				t.Errorf("NewHPA: %v", err)
			}
		})
	}
}

var externalHundredPerPod = []HPAMetric{rpsMetric(HPAExternal, 0, 100)}

// TestLoadHPAScalingPolicies runs the documentation's "Scaling policies"
// example from its manifest: 80 replicas down to 10, 8 then 4 at a time.
func TestLoadHPAScalingPolicies(t *testing.T) {
	p, cfg, err := LoadHPA(filepath.Join("testdata", "hpa", "scaling-policies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Label() != "scaling-policies" || *cfg.Behavior.ScaleDown.StabilizationWindow != 5*time.Minute {
		t.Errorf("Label %q, scale-down window %v", p.Label(), *cfg.Behavior.ScaleDown.StabilizationWindow)
	}
	got := runFollowing(p, 80, every(time.Minute, 5*time.Minute, 18*time.Minute, Observation{Valid: true, RequestRate: 1000}))
	// The window starts at the first call (5 min here), so nothing moves
	// for 5 minutes, then 72, 64, 57, … as in the documentation.
	want := []int{80, 80, 80, 80, 80, 72, 64, 57, 51, 45, 40, 36, 32, 28}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestLoadHPAErrors(t *testing.T) {
	_, _, err := LoadHPA(filepath.Join("testdata", "hpa", "bad", "memory.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join("testdata", "hpa", "bad", "memory.yaml")+": spec.metrics[0].resource.name: ") {
		t.Errorf("LoadHPA error %q, want it to start with the file and the field", err)
	}
	if _, _, err := LoadHPA(filepath.Join("testdata", "hpa", "no-such-file.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadHPA of a missing file: %v, want os.ErrNotExist", err)
	}
}

// TestParseHPAErrors parses every manifest under testdata/hpa/bad. Each
// says what its error must contain: a "# want: …" first line, or for JSON
// a FILE.want sidecar.
func TestParseHPAErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hpa", "bad", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".want") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := wantLine(t, f, data)
			_, err = ParseHPA(f, data)
			if err == nil {
				t.Fatalf("ParseHPA: no error, want %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ParseHPA error\n\t%s\nwant it to contain\n\t%s", err, want)
			}
			var me *ManifestError
			if !errors.As(err, &me) || me.File != f || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %#v: want a *ManifestError for %s wrapping ErrInvalidConfig", err, f)
			}
			if strings.Contains(want, "not supported") != errors.Is(err, ErrUnsupported) {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v for %q", errors.Is(err, ErrUnsupported), err)
			}
			if strings.Contains(want, "unknown field") != errors.Is(err, ErrUnknownField) {
				t.Errorf("errors.Is(err, ErrUnknownField) = %v for %q", errors.Is(err, ErrUnknownField), err)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d bad manifests", n)
	}
}

func wantLine(t *testing.T, file string, data []byte) string {
	t.Helper()
	if b, err := os.ReadFile(file + ".want"); err == nil {
		return strings.TrimSpace(string(b))
	}
	line, _ := bufio.NewReader(bytes.NewReader(data)).ReadString('\n')
	want, ok := strings.CutPrefix(strings.TrimSpace(line), "# want: ")
	if !ok {
		t.Fatalf("%s: no \"# want: \" line", file)
	}
	return want
}

func TestParseHPAEdgeCases(t *testing.T) {
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"empty", "", "empty manifest"},
		{"a list", "- 1\n", "invalid policy configuration: a list, want an object"},
		{"apiVersion not a string", "apiVersion: 2\nkind: HorizontalPodAutoscaler\n", "apiVersion: invalid policy configuration: 2"},
		{"metrics not a list", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 3, metrics: {type: Pods}}\n", "spec.metrics: invalid policy configuration: an object, want a list"},
		{"huge int", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 3000000000}\n", "spec.maxReplicas: invalid policy configuration: 3000000000, want a 32-bit integer"},
		{"container resource type", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 3, metrics: [{type: ContainerResource}]}\n", "spec.metrics[0].type: not supported"},
		{"selection strategy", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 3, selectionStrategy: OwnerReferences}\n", "spec.selectionStrategy: not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHPA("x", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseHPA error %v, want %q", err, tt.want)
			}
		})
	}
	// Metadata the API server writes, null fields and the default
	// selection strategy are accepted.
	doc := `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: prod
  uid: 0b5f
  resourceVersion: "123"
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {app: web}
spec:
  maxReplicas: 3
  minReplicas: null
  selectionStrategy: LabelSelector
`
	cfg, err := ParseHPA("x", []byte(doc))
	if err != nil || cfg.Name != "web" || cfg.MinReplicas != nil {
		t.Errorf("ParseHPA = %+v, %v", cfg, err)
	}
}

func TestParseQuantity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{
		{"500", 500}, {"100m", 0.1}, {"1k", 1000}, {"1.5k", 1500}, {"10k", 10000}, {"2500m", 2.5},
		{"1M", 1e6}, {"1G", 1e9}, {"1T", 1e12}, {"1P", 1e15}, {"1E", 1e18},
		{"1n", 1e-9}, {"1u", 1e-6},
		{"1Ki", 1024}, {"1Mi", 1 << 20}, {"1.5Gi", 1.5 * (1 << 30)}, {"1Ti", 1 << 40}, {"1Pi", 1 << 50}, {"1Ei", 1 << 60},
		{"1e3", 1000}, {"1E3", 1000}, {"1e+3", 1000}, {"25e-3", 0.025}, {"0.5", 0.5}, {".5", 0.5}, {"5.", 5},
		{"+5", 5}, {"-5", -5}, {"0", 0}, {"007", 7},
	} {
		got, err := parseQuantity(tt.in)
		if err != nil || math.Abs(got-tt.want) > 1e-12*math.Max(1, math.Abs(tt.want)) {
			t.Errorf("parseQuantity(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "+", "-", ".", "k", "1kk", "1 k", " 1", "1K", "1ki", "1KI", "1e", "1e+", "1e+-3", "1e3.5",
		"1.2.3", "0x10", "1_000", "Inf", "NaN", "1e999", "1.5Qi", "--1", "1m2",
	} {
		if v, err := parseQuantity(in); !errors.Is(err, errQuantity) {
			t.Errorf("parseQuantity(%q) = %v, %v; want errQuantity", in, v, err)
		}
	}
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"500", "100m", "1.5Ki", "1e3", "-0.5E-2", "", "1kk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseQuantity(s)
		if err == nil && !finite(v) {
			t.Errorf("parseQuantity(%q) = %v", s, v)
		}
	})
}

func FuzzParseHPA(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "hpa", "*.*"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "hpa", "bad", "*.*"))
	for _, file := range append(files, bad...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseHPA("fuzz", data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v is not a *ManifestError wrapping ErrInvalidConfig", err)
			}
			return
		}
		if _, err := NewHPA(cfg); err != nil {
			t.Fatalf("ParseHPA accepted a configuration NewHPA rejects: %v", err)
		}
	})
}
