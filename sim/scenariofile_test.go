package sim

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
)

const exampleFile = "../docs/examples/scenario-mixed.yaml"

// The documented example gives the scenario it says it does.
func TestScenarioFileExample(t *testing.T) {
	sf, err := LoadScenarioFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	if sf.Name != "shop-and-lab" || sf.Days != 2 || sf.QuantumOnly || sf.Seed != 7 {
		t.Errorf("name %q, days %v, quantum-only %v, seed %d; want shop-and-lab, 2, false, 7", sf.Name, sf.Days, sf.QuantumOnly, sf.Seed)
	}
	if want := []string{"threshold", "target-tracking", "predictive"}; !slices.Equal(sf.Policies, want) || len(sf.PolicyFiles) != 0 {
		t.Errorf("policies %q, policy files %q; want %q and none", sf.Policies, sf.PolicyFiles, want)
	}
	l := sf.Load
	if l.Base != 400 || l.DailyAmplitude != 0.5 || l.WeeklyAmplitude != 0.2 || l.Noise != 0.05 || l.Column != "requests_per_second" {
		t.Errorf("load: %+v", l)
	}
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); !l.Start.Equal(want) {
		t.Errorf("load start %v, want %v", l.Start, want)
	}
	if len(l.FlashCrowds) != 1 || l.FlashCrowds[0].At != 30*time.Hour || l.FlashCrowds[0].Factor != 3 ||
		l.FlashCrowds[0].Rise != 2*time.Minute || l.FlashCrowds[0].Decay != 30*time.Minute {
		t.Errorf("flash crowds: %+v; want one of ×3 at 30h", l.FlashCrowds)
	}
	c := sf.Config
	if c.Service.Capacity != 80 || c.Service.Objective != 200*time.Millisecond || c.Service.Quantile != 0.95 || c.Service.StartupDelay != 90*time.Second {
		t.Errorf("service: %+v", c.Service)
	}
	if c.Size != (policy.Size{CPU: 2, MemoryGiB: 4}) {
		t.Errorf("size %+v, want std-2's 2 vCPU, 4 GiB", c.Size)
	}
	if want := (cost.InstanceHour{USDPerHour: 0.10, Granularity: time.Second, Minimum: 60 * time.Second}); c.Price != want {
		t.Errorf("price %+v, want %+v", c.Price, want)
	}
	if c.SyncPeriod != 15*time.Second || c.Scrape != (Scrape{Interval: 15 * time.Second, Delay: 15 * time.Second}) {
		t.Errorf("sync %v, scrape %+v", c.SyncPeriod, c.Scrape)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the example's world is invalid: %v", err)
	}
	q := sf.Quantum
	if q == nil {
		t.Fatal("no quantum side")
	}
	if q.Config.WaitObjective != Duration(10*time.Minute) || q.Config.Budget != (cost.Budget{PerRun: 50000}) {
		t.Errorf("wait objective %v, budget %+v", q.Config.WaitObjective, q.Config.Budget)
	}
	if s := q.Config.Simulators; s.Max != 32 || s.StartupDelay != Duration(2*time.Minute) || s.Initial != 1 || s.SizeHold != Duration(30*time.Minute) {
		t.Errorf("simulators (with defaults): %+v", s)
	}
	if len(q.Config.QPUs) != 2 || q.Config.QPUs[0].Name != "ibm-eagle" || q.Config.QPUs[0].MaxReserved != 6 ||
		q.Config.QPUs[0].ReservationLead != Duration(5*time.Minute) || q.Config.QPUs[1].Name != "ionq-aria" || q.Config.QPUs[1].MaxReserved != 0 {
		t.Errorf("qpus: %+v", q.Config.QPUs)
	}
	a := q.Arrivals
	if a.RatePerHour != 2 || a.Burst == nil || a.Burst.BurstRatePerHour != 120 || a.Burst.MeanCalm != 4*time.Hour ||
		a.Burst.MeanBurst != 20*time.Minute || !slices.Equal(a.Backends, []string{"auto", "auto", "auto", "ibm-eagle"}) || !a.Start.Equal(l.Start) {
		t.Errorf("arrivals: %+v", a)
	}
	if q.JobTrace != "" {
		t.Errorf("job trace %q, want none", q.JobTrace)
	}
}

// A JSON file is read as its YAML twin is.
func TestScenarioFileJSONIsYAML(t *testing.T) {
	y, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := ParseScenarioFile("scenario-mixed.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := ParseScenarioFile("scenario-mixed.json", j)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Errorf("JSON and YAML differ:\nYAML %+v\nJSON %+v", fromYAML, fromJSON)
	}
}

func TestScenarioFileErrors(t *testing.T) {
	const jobs = "  jobs: {rate_per_hour: 1}\n"
	for _, c := range []struct {
		name, file string
		key        string // the message must contain it
	}{
		{"unknown top-level key", "lod: {base: 100}\n", `unknown key "lod"`},
		{"unknown nested key", "load: {base: 100, bsae: 1}\n", `unknown key "load.bsae"`},
		{"unknown key in a list", "load: {base: 100, flash_crowds: [{at: 1h, factor: 2, decay: 1m, rsie: 1m}]}\n", `"load.flash_crowds[0].rsie"`},
		{"unknown quantum key", "quantum:\n" + jobs + "  simulators: {mxa: 3}\n", `"quantum.simulators.mxa"`},
		{"neither load nor quantum", "name: x\n", `missing key "load"`},
		{"load.base missing", "load: {daily_amplitude: 0.5}\n", "load.base"},
		{"load.base zero", "load: {base: 0}\n", "load.base"},
		{"load.base negative", "load: {base: -3}\n", "load.base"},
		{"load.base mistyped", "load: {base: lots}\n", `load.base = "lots": want a number`},
		{"load.daily_amplitude 1.5", "load: {base: 100, daily_amplitude: 1.5}\n", "load.daily_amplitude = 1.5"},
		{"load.trend -1", "load: {base: 100, trend: -1}\n", "load.trend"},
		{"load.column timestamp", "load: {base: 100, column: timestamp}\n", "load.column"},
		{"flash crowd decay 0", "load: {base: 100, flash_crowds: [{at: 1h, factor: 2}]}\n", "load.flash_crowds[0].decay"},
		{"duration as a number", "load: {base: 100}\nservice: {objective: 200}\n", "service.objective = 200"},
		{"service.quantile 1", "load: {base: 100}\nservice: {quantile: 1}\n", "service.quantile = 1"},
		{"service.objective below the service time", "load: {base: 100}\nservice: {objective: 10ms}\n", "service.objective = 10ms"},
		{"instances.type unknown", "load: {base: 100}\ninstances: {type: std-3}\n", "instances.type = std-3"},
		{"instances.size zero", "load: {base: 100}\ninstances: {size: {cpu: 0, memory_gib: 4}}\n", "instances.size"},
		{"instances.initial negative", "load: {base: 100}\ninstances: {initial: -1}\n", "instances.initial"},
		{"sync_period under 1ms", "load: {base: 100}\nsync_period: 1us\n", "sync_period"},
		{"service without load", "service: {capacity: 10}\nquantum:\n" + jobs, "service"},
		{"quantum.simulators.min -1", "quantum:\n" + jobs + "  simulators: {min: -1}\n", "simulators.min"},
		{"quantum.qpus[0].qubits 0", "quantum:\n" + jobs + "  qpus: [{name: q, qubits: 0, on_demand_price: ibm-payg}]\n", "quantum.qpus[0].qubits"},
		{"quantum.qpus[0].on_demand_price unknown", "quantum:\n" + jobs + "  qpus: [{name: q, qubits: 5, on_demand_price: nope}]\n", "quantum.qpus[0].on_demand_price"},
		{"jobs and job_trace", "quantum:\n" + jobs + "  job_trace: jobs.csv\n", "job_trace"},
		{"neither jobs nor job_trace", "quantum: {wait_objective: 5m}\n", `"jobs"`},
		{"jobs.rate_per_hour negative", "quantum:\n  jobs: {rate_per_hour: -1}\n", "quantum.jobs.rate_per_hour = -1: must be"},
		{"jobs.burst.mean_calm 0", "quantum:\n  jobs: {rate_per_hour: 1, burst: {burst_rate_per_hour: 9, mean_burst: 1h}}\n", "quantum.jobs.burst.mean_calm = 0s: must be > 0"},
		{"jobs.backends unknown", "quantum:\n  jobs: {rate_per_hour: 1, backends: [ibm-egale]}\n", "quantum.jobs.backends[0] = ibm-egale"},
		{"jobs.backends none listed", "quantum:\n  qpus: []\n  jobs: {rate_per_hour: 1, backends: [ibm-eagle]}\n", "quantum.jobs.backends[0] = ibm-eagle"},
		{"days -1", "days: -1\nload: {base: 100}\n", "days = -1"},
		{"start malformed", "start: 2026-03-02 09:00\nload: {base: 100}\n", "start"},
		{"seed negative", "seed: -1\nload: {base: 100}\n", "seed = -1"},
		{"policies unknown", "load: {base: 100}\npolicies: [threshold, magic]\n", "policies[1]"},
		{"policies twice", "load: {base: 100}\npolicies: [threshold, threshold]\n", "policies[1] = threshold: named twice"},
		{"a key twice", "load: {base: 100}\nload: {base: 200}\n", `key "load" already set`},
		{"a list, not a mapping", "- load\n", "the file is a list, want a mapping of keys"},
		{"not YAML", "load: [base: 100\n", "not YAML or JSON"},
		{"catalogue missing", "catalogue: no-such-catalogue.yaml\nload: {base: 100}\n", "catalogue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenarioFile("bad.yaml", []byte(c.file))
			if err == nil {
				t.Fatalf("no error for\n%s", c.file)
			}
			if !errors.Is(err, ErrScenarioFile) {
				t.Errorf("error %q does not wrap ErrScenarioFile", err)
			}
			if msg := err.Error(); !strings.Contains(msg, c.key) || !strings.HasPrefix(msg, "bad.yaml: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with the file name and containing %q", msg, c.key)
			}
		})
	}
}

// Without load, a quantum section makes a quantum-only scenario, named
// after the file.
func TestScenarioFileQuantumOnly(t *testing.T) {
	sf, err := ParseScenarioFile("dir/lab.yml", []byte("sync_period: 1m\nquantum:\n  jobs: {rate_per_hour: 5, max_qubits: 30}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !sf.QuantumOnly || sf.Name != "lab" || sf.Days != 1 || sf.Quantum == nil || sf.Quantum.Arrivals.RatePerHour != 5 || sf.Quantum.Arrivals.MaxQubits != 30 {
		t.Errorf("quantum-only file: %+v", sf)
	}
	if sf.Config.SyncPeriod != time.Minute {
		t.Errorf("sync period %v, want the file's 1m: the quantum loop runs on it", sf.Config.SyncPeriod)
	}
	want := DefaultQuantum()
	want.Prices = sf.Quantum.Config.Prices
	if got := sf.Quantum.Config; !reflect.DeepEqual(got, want) {
		t.Errorf("quantum config %+v, want the defaults %+v", got, want)
	}
	none, err := ParseScenarioFile("lab.yml", []byte("quantum:\n  qpus: []\n  jobs: {rate_per_hour: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Quantum.Config.QPUs) != 0 {
		t.Errorf("qpus: [] gave %+v, want none", none.Quantum.Config.QPUs)
	}
}

// Defaults: an empty-but-for-load file is the built-in world.
func TestScenarioFileDefaults(t *testing.T) {
	sf, err := ParseScenarioFile("min.yaml", []byte("load: {base: 100}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sf.Name != "min" || sf.Days != 1 || sf.Quantum != nil || sf.Seed != 0 || sf.Policies != nil || !sf.Load.Start.Equal(scenarioStart) {
		t.Errorf("defaults: %+v", sf)
	}
	if !reflect.DeepEqual(sf.Config, Config{}) {
		t.Errorf("config %+v, want the zero Config (sim's defaults)", sf.Config)
	}
}

// Each price key overrides its own part of the type's or default price.
func TestScenarioFileInstancePrice(t *testing.T) {
	for _, c := range []struct {
		instances string
		want      cost.InstanceHour
	}{
		{"{type: std-4}", cost.InstanceHour{USDPerHour: 0.20, Granularity: time.Second}},
		{"{type: std-2, billing: {minimum: 60s}}", cost.InstanceHour{USDPerHour: 0.10, Granularity: time.Second, Minimum: time.Minute}},
		{"{billing: {minimum: 60s}}", cost.InstanceHour{USDPerHour: 0.10, Minimum: time.Minute}},
		{"{type: std-2, usd_per_hour: 0.3}", cost.InstanceHour{USDPerHour: 0.3, Granularity: time.Second}},
		{"{usd_per_hour: 0.3}", cost.InstanceHour{USDPerHour: 0.3}},
	} {
		sf, err := ParseScenarioFile("p.yaml", []byte("load: {base: 100}\ninstances: "+c.instances+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if sf.Config.Price != c.want {
			t.Errorf("instances %s: price %+v, want %+v", c.instances, sf.Config.Price, c.want)
		}
	}
}

// Relative paths resolve against the file's directory; the catalogue
// prices instance types, QPU jobs and the simulator workers.
func TestScenarioFilePaths(t *testing.T) {
	dir := t.TempDir()
	cat, err := os.ReadFile("../cost/testdata/example-catalogue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prices.yaml"), cat, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	os.WriteFile(file, []byte("catalogue: prices.yaml\nload: {base: 100}\ninstances: {type: gp-2x8}\npolicy_files: [fast.yaml, /abs/p.yaml]\n"+
		"quantum:\n  job_trace: traces/jobs.csv\n  qpus: [{name: q, qubits: 5, on_demand_price: braket-ionq-aria}]\n"), 0o644)
	sf, err := LoadScenarioFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "fast.yaml"), "/abs/p.yaml"}; !slices.Equal(sf.PolicyFiles, want) {
		t.Errorf("policy files %q, want %q", sf.PolicyFiles, want)
	}
	if want := filepath.Join(dir, "traces", "jobs.csv"); sf.Quantum.JobTrace != want {
		t.Errorf("job trace %q, want %q", sf.Quantum.JobTrace, want)
	}
	if sf.Config.Size != (policy.Size{CPU: 2, MemoryGiB: 8}) {
		t.Errorf("size %+v, want gp-2x8's from the file's catalogue", sf.Config.Size)
	}
	if p := sf.Quantum.Config.Simulators.Price; p.USDPerCoreHour != 0.04 || p.Billing.Minimum != cost.Duration(time.Minute) {
		t.Errorf("simulator price %+v, want the catalogue's resources", p)
	}
	if _, ok := sf.Quantum.Config.Prices.Instance("gp-2x8"); !ok {
		t.Error("the quantum side does not use the file's catalogue")
	}
}

// docs/scenario-files.md names every key a file may hold.
func TestScenarioFileKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-files.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	word := regexp.MustCompile(`[a-z0-9_]+`)
	for _, m := range regexp.MustCompile("`[^`\n]+`").FindAllString(string(doc), -1) {
		for _, w := range word.FindAllString(m, -1) {
			documented[w] = true
		}
	}
	var walk func(path string, t reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Unmarshaler]()) || seen[typ] {
			return
		}
		seen[typ] = true
		fields := map[string]reflect.Type{}
		docFields(typ, fields)
		for k, ft := range fields {
			if !documented[k] {
				t.Errorf("docs/scenario-files.md does not mention `%s` (%s%s)", k, path, k)
			}
			walk(path+k+".", ft)
		}
	}
	walk("", reflect.TypeFor[scenarioDoc]())
	if len(seen) < 15 {
		t.Errorf("walked %d types; the walk lost its way", len(seen))
	}
}
