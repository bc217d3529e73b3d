package cost

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDefaultPrices(t *testing.T) {
	c := DefaultPrices()
	var cites []Citation
	for _, e := range c.Instances {
		cites = append(cites, e.Citation)
	}
	cites = append(cites, c.Resources.Citation)
	for _, e := range c.Quantum.QubitHour {
		cites = append(cites, e.Citation)
	}
	for _, e := range c.Quantum.PerShot {
		cites = append(cites, e.Citation)
	}
	for _, e := range c.Quantum.PerQPUSecond {
		cites = append(cites, e.Citation)
	}
	for _, e := range c.Quantum.Simulators {
		cites = append(cites, e.Citation)
	}
	if len(cites) != 4+1+1+5+1+1 {
		t.Errorf("%d entries, want 13", len(cites))
	}
	for i, ct := range cites {
		if ct.Source == "" || ct.Date == "" {
			t.Errorf("entry %d: source %q, date %q: want both", i, ct.Source, ct.Date)
		}
	}
	if diff := cmp.Diff(DefaultCatalogue(), c.InstanceTypes()); diff != "" {
		t.Errorf("embedded instances differ from DefaultCatalogue (-want +got):\n%s", diff)
	}
	for _, name := range []string{"qubit-hour", "braket-ionq-forte", "braket-ionq-aria", "braket-quera-aquila",
		"braket-iqm-garnet", "braket-rigetti-ankaa", "ibm-payg", "braket-sv1"} {
		if _, ok := c.QuantumPrice(name); !ok {
			t.Errorf("QuantumPrice(%q) missing", name)
		}
	}
}

func TestParseCatalogueErrors(t *testing.T) {
	const cite = `source: s, date: "2025"`
	tests := []struct {
		name, file string
		key        string
		want       error
	}{
		{"unknown top-level key", "instance: []", "instance", ErrUnknownKey},
		{"misspelled instance key", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, spot_discout: 0.5, " + cite + "}]",
			"instances[0].spot_discout", ErrUnknownKey},
		{"unknown billing key", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, billing: {granularty: 1s}, " + cite + "}]",
			"instances[0].billing.granularty", ErrUnknownKey},
		{"unknown quantum key", "quantum: {per_shot: [{name: q, usd_per_task: 0.3, usd_per_shots: 0.1, " + cite + "}]}",
			"quantum.per_shot[0].usd_per_shots", ErrUnknownKey},
		{"spot discount over 1", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, spot_discount: 1.5, " + cite + "}]",
			"instances[0].spot_discount", ErrInvalidPrice},
		{"negative price", "instances: [{name: a, vcpu: 1, usd_per_hour: -1, " + cite + "}]",
			"instances[0].usd_per_hour", ErrInvalidPrice},
		{"zero vcpu", "instances: [{name: a, usd_per_hour: 1, " + cite + "}]", "instances[0].vcpu", ErrInvalidPrice},
		{"missing source", `instances: [{name: a, vcpu: 1, usd_per_hour: 1, date: "2025"}]`, "instances[0].source", ErrInvalidPrice},
		{"bad date", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, source: s, date: last year}]", "instances[0].date", ErrInvalidPrice},
		{"duplicate name", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, " + cite + "}, {name: a, vcpu: 2, usd_per_hour: 2, " + cite + "}]",
			"instances[1].name", ErrInvalidPrice},
		{"negative minimum", "instances: [{name: a, vcpu: 1, usd_per_hour: 1, billing: {minimum: -1s}, " + cite + "}]",
			"instances[0].billing.minimum", ErrInvalidPrice},
		{"negative cap", "quantum: {per_qpu_second: [{name: q, usd_per_second: 1, max_runtime: -1h, " + cite + "}]}",
			"quantum.per_qpu_second[0].max_runtime", ErrInvalidPrice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalogue("c.yaml", []byte(tt.file))
			var ce *CatalogueError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CatalogueError", err)
			}
			if ce.Key != tt.key || ce.File != "c.yaml" || !errors.Is(err, tt.want) {
				t.Errorf("err = %v (key %q), want key %q wrapping %v", err, ce.Key, tt.key, tt.want)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("message %q does not name %q", err, tt.key)
			}
		})
	}
}

func TestParseCatalogueTypeErrors(t *testing.T) {
	for _, file := range []string{
		"instances: [{name: a, vcpu: one, usd_per_hour: 1}]",
		"instances: [{name: a, vcpu: 1, billing: {granularity: soon}}]",
		"instances: [{name: a, name: b}]", // duplicate key
		"",
	} {
		_, err := ParseCatalogue("c.yaml", []byte(file))
		var ce *CatalogueError
		if !errors.As(err, &ce) {
			t.Errorf("%q: err = %v, want a *CatalogueError", file, err)
		}
	}
}

func TestLoadCatalogueJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	js := `{"instances": [{"name": "m", "vcpu": 2, "memory_gib": 8, "usd_per_hour": 0.1,
		"billing": {"granularity": "1s", "minimum": "60s"}, "spot_discount": 0.6, "source": "s", "date": "2025-06"}]}`
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalogue(path)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Instance("m")
	want := InstanceHour{USDPerHour: 0.1, Granularity: time.Second, Minimum: time.Minute}
	if diff := cmp.Diff(want, m.Price()); diff != "" {
		t.Errorf("Price (-want +got):\n%s", diff)
	}
	if _, err := LoadCatalogue(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestClassicalKnownAnswers(t *testing.T) {
	perSecond := Instance{Name: "s", VCPU: 2, USDPerHour: 3.6, Billing: Billing{Granularity: Duration(time.Second), Minimum: Duration(60 * time.Second)}, SpotDiscount: 0.7}
	perHour := Instance{Name: "h", VCPU: 2, USDPerHour: 1, Billing: Billing{Granularity: Duration(time.Hour)}}
	res := ResourcePrice{USDPerCoreHour: 0.05, USDPerGiBHour: 0.005}
	approx := cmpopts.EquateApprox(0, 1e-12)
	tests := []struct {
		name       string
		price      InstanceHour
		life       time.Duration
		wantBilled time.Duration
		wantUSD    float64
	}{
		{"per-second 61 s bills 61 s", perSecond.Price(), 61 * time.Second, 61 * time.Second, 0.061},
		{"per-second 5 s bills the 60 s minimum", perSecond.Price(), 5 * time.Second, 60 * time.Second, 0.06},
		{"per-started-hour 61 min bills 2 h", perHour.Price(), 61 * time.Minute, 2 * time.Hour, 2},
		{"spot is 70% off", perSecond.SpotPrice(), time.Hour, time.Hour, 3.6 * 0.3},
		{"3 vCPU 12 GiB by resource", res.Price(3, 12), time.Hour, time.Hour, 3*0.05 + 12*0.005},
		{"default core-hour prices std-2", DefaultPrices().Resources.Price(2, 4), time.Hour, time.Hour, 0.10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.price.Billed(tt.life); got != tt.wantBilled {
				t.Errorf("Billed(%v) = %v, want %v", tt.life, got, tt.wantBilled)
			}
			if diff := cmp.Diff(tt.wantUSD, tt.price.Charge(tt.life), approx); diff != "" {
				t.Errorf("Charge(%v) (-want +got):\n%s", tt.life, diff)
			}
		})
	}
}

func TestQuantumKnownAnswers(t *testing.T) {
	def := DefaultPrices()
	price := func(name string) QuantumPrice {
		p, ok := def.QuantumPrice(name)
		if !ok {
			t.Fatalf("no %q in the default catalogue", name)
		}
		return p
	}
	approx := cmpopts.EquateApprox(0, 1e-9)
	tests := []struct {
		name  string
		price string
		job   QuantumJob
		want  float64
	}{
		{"IonQ Aria 1,000 shots", "braket-ionq-aria", QuantumJob{Shots: 1000}, 0.30 + 1000*0.03},
		{"IonQ Forte 100 shots", "braket-ionq-forte", QuantumJob{Shots: 100}, 0.30 + 100*0.08},
		{"QuEra Aquila 2 tasks of 100 shots", "braket-quera-aquila", QuantumJob{Shots: 100, Circuits: 2}, 2 * (0.30 + 100*0.01)},
		{"IQM Garnet 1,000 shots", "braket-iqm-garnet", QuantumJob{Shots: 1000}, 0.30 + 1.45},
		{"Rigetti Ankaa 1,000 shots", "braket-rigetti-ankaa", QuantumJob{Shots: 1000}, 0.30 + 0.9},
		{"IBM 90 s", "ibm-payg", QuantumJob{Runtime: 90 * time.Second}, 144},
		{"IBM 3 h exactly", "ibm-payg", QuantumJob{Runtime: 3 * time.Hour}, 3 * 3600 * 1.60},
		{"IBM partial second rounds up", "ibm-payg", QuantumJob{Runtime: 1500 * time.Millisecond}, 3.20},
		{"SV1 2 s bills 3 s", "braket-sv1", QuantumJob{Runtime: 2 * time.Second}, 3.0 / 60 * 0.075},
		{"SV1 2 min", "braket-sv1", QuantumJob{Runtime: 2 * time.Minute}, 0.15},
		{"SV1 4 tasks in 2 s bill 12 s", "braket-sv1", QuantumJob{Runtime: 2 * time.Second, Circuits: 4}, 12.0 / 60 * 0.075},
		{"5 qubits 30 min", "qubit-hour", QuantumJob{Qubits: 5, Runtime: 30 * time.Minute}, 1.875},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := price(tt.price).JobCost(tt.job)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("JobCost(%+v) (-want +got):\n%s", tt.job, diff)
			}
		})
	}

	if _, err := price("ibm-payg").JobCost(QuantumJob{Runtime: 4 * time.Hour}); !errors.Is(err, ErrRuntimeCap) {
		t.Errorf("IBM 4 h job: err = %v, want ErrRuntimeCap", err)
	}
	for _, j := range []QuantumJob{{Shots: -1}, {Qubits: -1}, {Circuits: -1}, {Runtime: -time.Second}} {
		if _, err := price("braket-ionq-aria").JobCost(j); !errors.Is(err, ErrInvalidJob) {
			t.Errorf("JobCost(%+v): err = %v, want ErrInvalidJob", j, err)
		}
	}
}

func TestSpendingLimit(t *testing.T) {
	aria, _ := DefaultPrices().QuantumPrice("braket-ionq-aria")
	s := SpendingLimit{LimitUSD: 50}
	if c, err := s.Charge(aria, QuantumJob{Shots: 1000}); err != nil || math.Abs(c-30.30) > 1e-9 {
		t.Fatalf("first task: %v, %v; want 30.30", c, err)
	}
	_, err := s.Charge(aria, QuantumJob{Shots: 1000})
	var le *SpendingLimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrSpendingLimit) {
		t.Fatalf("second task: err = %v, want a *SpendingLimitError", err)
	}
	if diff := cmp.Diff(SpendingLimitError{Cost: 30.30, Spent: 30.30, Limit: 50}, *le, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if math.Abs(s.Spent-30.30) > 1e-9 {
		t.Errorf("rejected task was charged: Spent = %v", s.Spent)
	}
	if _, err := s.Charge(aria, QuantumJob{Shots: 100}); err != nil { // 3.30 still fits
		t.Errorf("small task: %v", err)
	}
	var none SpendingLimit
	if _, err := none.Charge(aria, QuantumJob{Shots: 1e6}); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

// TestDocExample checks the numbers docs/cost-catalogue.md quotes for its
// worked example.
func TestDocExample(t *testing.T) {
	c, err := LoadCatalogue("testdata/example-catalogue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gp, _ := c.Instance("gp-2x8")
	batch, _ := c.Instance("batch-4x16")
	sv1, _ := c.QuantumPrice("braket-sv1")
	aria, _ := c.QuantumPrice("braket-ionq-aria")
	ibm, _ := c.QuantumPrice("ibm-payg")
	cost := func(p QuantumPrice, j QuantumJob) float64 {
		v, err := p.JobCost(j)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	got := []float64{
		gp.Price().Charge(90 * time.Second),       // 90 s × 0.10/3600
		gp.Price().Charge(20 * time.Second),       // 60 s minimum
		gp.SpotPrice().Charge(time.Hour),          // 0.10 × 0.4
		batch.Price().Charge(61 * time.Minute),    // 2 started hours × 0.20
		c.Resources.Price(3, 6).Charge(time.Hour), // 3×0.04 + 6×0.005
		c.Resources.SpotPrice(3, 6).Charge(time.Hour),
		cost(aria, QuantumJob{Shots: 1000, Circuits: 2}),
		cost(ibm, QuantumJob{Runtime: 90 * time.Second}),
		cost(sv1, QuantumJob{Runtime: 2 * time.Second}),
	}
	want := []float64{0.0025, 0.10 / 60, 0.04, 0.40, 0.15, 0.075, 60.60, 144, 0.00375}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("worked example (-want +got):\n%s", diff)
	}
}
