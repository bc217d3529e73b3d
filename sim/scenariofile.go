package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// ErrScenarioFile marks an invalid scenario file; the message names the
// file and the key.
var ErrScenarioFile = errors.New("invalid scenario file")

// ScenarioFile is a scenario read from a file (LoadScenarioFile): the
// world and load, and the policies the file asks for.
type ScenarioFile struct {
	Scenario
	// Policies are policy names (sim policies lists them); PolicyFiles
	// policy files, relative to the scenario file's directory. Both are
	// empty when the file names none.
	Policies    []string
	PolicyFiles []string
	// Seed is the file's seed; 0 when it sets none.
	Seed uint64
}

// scenarioDoc is the file's layout; docs/scenario-files.md documents it.
type scenarioDoc struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Days        float64       `json:"days"`
	Start       string        `json:"start"`
	Seed        uint64        `json:"seed"`
	Catalogue   string        `json:"catalogue"`
	Load        *loadDoc      `json:"load"`
	Service     *serviceDoc   `json:"service"`
	Instances   *instancesDoc `json:"instances"`
	SyncPeriod  cost.Duration `json:"sync_period"`
	Scrape      *scrapeDoc    `json:"scrape"`
	Quantum     *quantumDoc   `json:"quantum"`
	Policies    []string      `json:"policies"`
	PolicyFiles []string      `json:"policy_files"`
}

type loadDoc struct {
	Column           string        `json:"column"`
	Base             float64       `json:"base"`
	DailyAmplitude   float64       `json:"daily_amplitude"`
	WeeklyAmplitude  float64       `json:"weekly_amplitude"`
	Trend            float64       `json:"trend"`
	Noise            float64       `json:"noise"`
	NoiseCorrelation cost.Duration `json:"noise_correlation"`
	FlashCrowds      []flashDoc    `json:"flash_crowds"`
}

type flashDoc struct {
	At     cost.Duration `json:"at"`
	Factor float64       `json:"factor"`
	Rise   cost.Duration `json:"rise"`
	Decay  cost.Duration `json:"decay"`
}

type serviceDoc struct {
	Capacity            float64       `json:"capacity"`
	Concurrency         int           `json:"concurrency"`
	Objective           cost.Duration `json:"objective"`
	Quantile            float64       `json:"quantile"`
	StartupDelay        cost.Duration `json:"startup_delay"`
	MemoryBaseGiB       float64       `json:"memory_base_gib"`
	MemoryPerRequestGiB float64       `json:"memory_per_request_gib"`
}

type instancesDoc struct {
	Type       string       `json:"type"`
	Size       *policy.Size `json:"size"`
	USDPerHour float64      `json:"usd_per_hour"`
	Billing    cost.Billing `json:"billing"`
	Initial    int          `json:"initial"`
}

type scrapeDoc struct {
	Interval cost.Duration `json:"interval"`
	Delay    cost.Duration `json:"delay"`
}

type quantumDoc struct {
	QuantumConfig
	Jobs     *jobsDoc `json:"jobs"`
	JobTrace string   `json:"job_trace"`
}

type jobsDoc struct {
	RatePerHour float64   `json:"rate_per_hour"`
	Burst       *burstDoc `json:"burst"`
	Backends    []string  `json:"backends"`
	MaxQubits   int       `json:"max_qubits"`
}

type burstDoc struct {
	BurstRatePerHour float64       `json:"burst_rate_per_hour"`
	MeanCalm         cost.Duration `json:"mean_calm"`
	MeanBurst        cost.Duration `json:"mean_burst"`
}

// LoadScenarioFile reads a scenario file, YAML or JSON. Every key is
// optional but for load.base (or a quantum section with no load: a
// quantum-only scenario); unknown keys and out-of-range values are
// errors naming the file and the key.
func LoadScenarioFile(path string) (*ScenarioFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sf, err := ParseScenarioFile(path, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	for i, f := range sf.PolicyFiles {
		if !filepath.IsAbs(f) {
			sf.PolicyFiles[i] = filepath.Join(dir, f)
		}
	}
	if q := sf.Quantum; q != nil && q.JobTrace != "" && !filepath.IsAbs(q.JobTrace) {
		q.JobTrace = filepath.Join(dir, q.JobTrace)
	}
	return sf, nil
}

var unknownField = regexp.MustCompile(`unknown field "([^"]*)"`)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkDoc walks v, the file decoded as generic JSON (numbers as
// json.Number), against t, the type it decodes into, and returns the path
// of the first unknown key or mistyped value, in sorted key order, the
// value, and why. encoding/json names only the last key of an unknown
// one, and not the key at all when a value's own UnmarshalJSON (a
// duration's) fails.
func checkDoc(path string, v any, t reflect.Type) (key string, val any, why string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return "", nil, ""
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			return path, v, err.Error()
		}
		return "", nil, ""
	}
	n, isNum := v.(json.Number)
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return path, v, "want a mapping of keys"
		}
		fields := map[string]reflect.Type{}
		docFields(t, fields)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				return sub, nil, "unknown key"
			}
			if key, val, why := checkDoc(sub, m[k], ft); why != "" {
				return key, val, why
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return path, v, "want a list"
		}
		for i, e := range a {
			if key, val, why := checkDoc(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()); why != "" {
				return key, val, why
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return path, v, "want a string"
		}
	case reflect.Float64:
		if _, err := n.Float64(); !isNum || err != nil {
			return path, v, "want a number"
		}
	case reflect.Int:
		if _, err := strconv.ParseInt(string(n), 10, 0); !isNum || err != nil {
			return path, v, "want a whole number"
		}
	case reflect.Uint64:
		if _, err := strconv.ParseUint(string(n), 10, 64); !isNum || err != nil {
			return path, v, "want a whole number ≥ 0"
		}
	}
	return "", nil, ""
}

// docFields adds the keys of struct type t to fields, with their types,
// those of embedded structs without a key of their own included.
func docFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			docFields(f.Type, fields)
		case name != "":
			fields[name] = f.Type
		default:
			fields[f.Name] = f.Type
		}
	}
}

// describe returns a decoded JSON value as a message shows it.
func describe(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

// ParseScenarioFile is LoadScenarioFile on the file's contents; name is
// used in messages, and the catalogue is read relative to its directory.
// Other relative paths (policy_files, quantum.job_trace) are left as they
// are.
func ParseScenarioFile(name string, data []byte) (*ScenarioFile, error) {
	bad := func(key string, v any, why string) error {
		if d, ok := v.(cost.Duration); ok {
			v = time.Duration(d) // "-1s", not -1000000000
		}
		return fmt.Errorf("%s: %w: %s = %v: %s", name, ErrScenarioFile, key, v, why)
	}
	js, err := yaml.YAMLToJSONStrict(data) // strict: a key given twice is an error
	if err != nil {
		// On one line: the YAML parser's messages span several.
		return nil, fmt.Errorf("%s: %w: not YAML or JSON: %s", name, ErrScenarioFile, strings.Join(strings.Fields(err.Error()), " "))
	}
	var raw any
	rd := json.NewDecoder(bytes.NewReader(js))
	rd.UseNumber()
	if err := rd.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrScenarioFile, err)
	}
	if key, v, why := checkDoc("", raw, reflect.TypeFor[scenarioDoc]()); why == "unknown key" {
		return nil, fmt.Errorf("%s: %w: unknown key %q (docs/scenario-files.md lists the keys)", name, ErrScenarioFile, key)
	} else if key == "" && why != "" {
		return nil, fmt.Errorf("%s: %w: the file is %s, want a mapping of keys such as \"load:\"", name, ErrScenarioFile, describe(v))
	} else if why != "" {
		return nil, bad(key, describe(v), why)
	}
	var doc scenarioDoc
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s: %w: unknown key %q (docs/scenario-files.md lists the keys)", name, ErrScenarioFile, m[1])
		}
		return nil, fmt.Errorf("%s: %w: %v", name, ErrScenarioFile, err)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	sc := Scenario{Name: doc.Name, Description: doc.Description, Days: doc.Days}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if sc.Description == "" {
		sc.Description = "from " + filepath.Base(name)
	}
	switch {
	case !finite(doc.Days) || doc.Days < 0 || doc.Days > 3660:
		return nil, bad("days", doc.Days, "want between 0 and 3660")
	case doc.Days == 0:
		sc.Days = 1
	}
	start := scenarioStart
	if doc.Start != "" {
		t, err := time.Parse(time.RFC3339, doc.Start)
		if err != nil {
			return nil, bad("start", doc.Start, "want an RFC 3339 time such as 2026-01-05T00:00:00Z")
		}
		start = t.UTC()
	}
	prices := cost.DefaultPrices()
	if doc.Catalogue != "" {
		path := doc.Catalogue
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(name), path)
		}
		if prices, err = cost.LoadCatalogue(path); err != nil {
			return nil, fmt.Errorf("%s: %w: catalogue: %w", name, ErrScenarioFile, err)
		}
	}

	// The sync period is the quantum loop's too, so it applies without load.
	if doc.SyncPeriod < 0 || (doc.SyncPeriod > 0 && doc.SyncPeriod < cost.Duration(time.Millisecond)) {
		return nil, bad("sync_period", doc.SyncPeriod, "want ≥ 1ms")
	}
	sc.Config.SyncPeriod = time.Duration(doc.SyncPeriod)

	// The classical side.
	if doc.Load == nil {
		if doc.Quantum == nil {
			return nil, fmt.Errorf("%s: %w: missing key \"load\" (or a \"quantum\" section for a quantum-only scenario)", name, ErrScenarioFile)
		}
		sc.QuantumOnly = true
		for _, k := range []struct {
			key string
			set bool
		}{{"service", doc.Service != nil}, {"instances", doc.Instances != nil}, {"scrape", doc.Scrape != nil}} {
			if k.set {
				return nil, bad(k.key, "set", "a scenario without \"load\" has no classical service to configure")
			}
		}
	} else {
		l := doc.Load
		switch {
		case !finite(l.Base) || l.Base <= 0:
			return nil, bad("load.base", l.Base, "want the mean load > 0")
		case !finite(l.DailyAmplitude) || l.DailyAmplitude < 0 || l.DailyAmplitude > 1:
			return nil, bad("load.daily_amplitude", l.DailyAmplitude, "want in [0, 1]")
		case !finite(l.WeeklyAmplitude) || l.WeeklyAmplitude < 0 || l.WeeklyAmplitude > 1:
			return nil, bad("load.weekly_amplitude", l.WeeklyAmplitude, "want in [0, 1]")
		case !finite(l.Trend) || l.Trend <= -1:
			return nil, bad("load.trend", l.Trend, "want a daily growth > -1")
		case !finite(l.Noise) || l.Noise < 0:
			return nil, bad("load.noise", l.Noise, "want ≥ 0")
		case l.NoiseCorrelation < 0:
			return nil, bad("load.noise_correlation", l.NoiseCorrelation, "want ≥ 0")
		case l.Column == "timestamp": // traces' time column
			return nil, bad("load.column", l.Column, "clashes with the timestamp column")
		}
		col := l.Column
		if col == "" {
			col = traces.DefaultLoadColumn
		}
		sc.Load = traces.LoadOptions{Start: start, Column: col, Base: l.Base, DailyAmplitude: l.DailyAmplitude,
			WeeklyAmplitude: l.WeeklyAmplitude, Trend: l.Trend, Noise: l.Noise, NoiseCorrelation: time.Duration(l.NoiseCorrelation)}
		for i, f := range l.FlashCrowds {
			key := fmt.Sprintf("load.flash_crowds[%d]", i)
			switch {
			case f.At < 0:
				return nil, bad(key+".at", f.At, "want an offset ≥ 0 from the start")
			case !finite(f.Factor) || f.Factor <= 0:
				return nil, bad(key+".factor", f.Factor, "want > 0")
			case f.Rise < 0:
				return nil, bad(key+".rise", f.Rise, "want ≥ 0")
			case f.Decay <= 0:
				return nil, bad(key+".decay", f.Decay, "want > 0")
			}
			sc.Load.FlashCrowds = append(sc.Load.FlashCrowds, traces.FlashCrowd{At: time.Duration(f.At), Factor: f.Factor,
				Rise: time.Duration(f.Rise), Decay: time.Duration(f.Decay)})
		}
		cfg := Config{SyncPeriod: time.Duration(doc.SyncPeriod)}
		if s := doc.Scrape; s != nil {
			if s.Interval < 0 || (s.Interval > 0 && s.Interval < cost.Duration(time.Millisecond)) {
				return nil, bad("scrape.interval", s.Interval, "want ≥ 1ms")
			}
			cfg.Scrape = Scrape{Interval: time.Duration(s.Interval), Delay: time.Duration(s.Delay)}
		}
		if s := doc.Service; s != nil {
			cfg.Service = Service{Capacity: s.Capacity, Concurrency: s.Concurrency, Objective: time.Duration(s.Objective),
				Quantile: s.Quantile, StartupDelay: time.Duration(s.StartupDelay), MemoryBaseGiB: s.MemoryBaseGiB,
				MemoryPerRequestGiB: s.MemoryPerRequestGiB}
			for _, c := range []struct {
				key  string
				v    any
				bad  bool
				want string
			}{
				{"service.capacity", s.Capacity, !finite(s.Capacity) || s.Capacity < 0, "want req/s > 0"},
				{"service.concurrency", s.Concurrency, s.Concurrency < 0, "want ≥ 1"},
				{"service.objective", s.Objective, s.Objective < 0, "want > 0"},
				{"service.quantile", s.Quantile, !finite(s.Quantile) || s.Quantile < 0 || s.Quantile >= 1, "want in (0, 1)"},
				{"service.startup_delay", s.StartupDelay, s.StartupDelay < 0, "want ≥ 0"},
				{"service.memory_base_gib", s.MemoryBaseGiB, !finite(s.MemoryBaseGiB) || s.MemoryBaseGiB < 0, "want ≥ 0"},
				{"service.memory_per_request_gib", s.MemoryPerRequestGiB, !finite(s.MemoryPerRequestGiB) || s.MemoryPerRequestGiB < 0, "want ≥ 0"},
			} {
				if c.bad {
					return nil, bad(c.key, c.v, c.want)
				}
			}
			if err := cfg.Service.Validate(); err != nil {
				// Only the objective against the service time is left to
				// fail; name the file's keys, not the Go fields.
				msg := strings.TrimPrefix(err.Error(), ErrInvalidConfig.Error()+": ")
				msg = strings.NewReplacer("Service.Objective", "service.objective", "(Concurrency/Capacity)",
					"(service.concurrency ÷ service.capacity)", "Service.", "service.").Replace(msg)
				return nil, fmt.Errorf("%s: %w: %s", name, ErrScenarioFile, msg)
			}
		}
		if in := doc.Instances; in != nil {
			if in.Type != "" {
				it, ok := prices.Instance(in.Type)
				if !ok {
					return nil, bad("instances.type", in.Type, "no such instance type in the catalogue")
				}
				cfg.Size, cfg.Price = policy.Size{CPU: it.VCPU, MemoryGiB: it.MemoryGiB}, it.Price()
			}
			if in.Size != nil {
				if !validSize(*in.Size) {
					return nil, bad("instances.size", *in.Size, "want cpu and memory_gib > 0")
				}
				cfg.Size = *in.Size
			}
			if in.USDPerHour != 0 || in.Billing != (cost.Billing{}) {
				if !finite(in.USDPerHour) || in.USDPerHour < 0 {
					return nil, bad("instances.usd_per_hour", in.USDPerHour, "want ≥ 0")
				}
				// Each key given overrides its part of the type's price, or
				// of the default price: a billing rule alone must not make
				// the instances free.
				if cfg.Price == (cost.InstanceHour{}) {
					cfg.Price = Config{}.WithDefaults().Price
				}
				if in.USDPerHour != 0 {
					cfg.Price.USDPerHour = in.USDPerHour
				}
				if in.Billing.Granularity != 0 {
					cfg.Price.Granularity = time.Duration(in.Billing.Granularity)
				}
				if in.Billing.Minimum != 0 {
					cfg.Price.Minimum = time.Duration(in.Billing.Minimum)
				}
				if err := cfg.Price.Validate(); err != nil {
					return nil, fmt.Errorf("%s: %w: instances.billing: %w", name, ErrScenarioFile, err)
				}
			}
			if in.Initial < 0 {
				return nil, bad("instances.initial", in.Initial, "want ≥ 0")
			}
			cfg.InitialInstances = in.Initial
		}
		sc.Config = cfg
	}

	// The quantum side.
	if q := doc.Quantum; q != nil {
		qc := q.QuantumConfig
		qc.Prices = prices
		if qc.QPUs == nil {
			// No "qpus" key: the built-in scenarios' backends ("qpus: []"
			// means none).
			qc.QPUs = DefaultQuantum().QPUs
		}
		// The file's catalogue prices the workers too (QuantumConfig's
		// own default is the built-in catalogue's resources).
		if qc.Simulators.Price == (cost.ResourcePrice{}) && prices.Resources != nil {
			qc.Simulators.Price = *prices.Resources
		}
		if err := qc.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w: quantum.%s", name, ErrScenarioFile, strings.TrimPrefix(err.Error(), ErrInvalidQuantum.Error()+": "))
		}
		qs := &QuantumScenario{Config: qc.WithDefaults(), JobTrace: q.JobTrace, Arrivals: traces.ArrivalOptions{Start: start}}
		switch {
		case q.Jobs != nil && q.JobTrace != "":
			return nil, bad("quantum.job_trace", q.JobTrace, "give either quantum.jobs (a generator) or quantum.job_trace, not both")
		case q.Jobs == nil && q.JobTrace == "":
			return nil, fmt.Errorf("%s: %w: quantum: missing key \"jobs\" (a generator) or \"job_trace\" (a file)", name, ErrScenarioFile)
		case q.Jobs != nil:
			j := q.Jobs
			ao := traces.ArrivalOptions{Start: start, RatePerHour: j.RatePerHour, Backends: j.Backends, MaxQubits: j.MaxQubits}
			if b := j.Burst; b != nil {
				ao.Burst = &traces.MMPP{BurstRatePerHour: b.BurstRatePerHour, MeanCalm: time.Duration(b.MeanCalm), MeanBurst: time.Duration(b.MeanBurst)}
			}
			// A job naming no such backend would fail at run time, one by one.
			known := []string{"auto", "simulator"}
			for _, b := range qc.QPUs {
				known = append(known, b.Name)
			}
			for i, b := range j.Backends {
				if !slices.Contains(known, b) {
					return nil, bad(fmt.Sprintf("quantum.jobs.backends[%d]", i), b, "no such backend (have "+strings.Join(known, ", ")+")")
				}
			}
			ao.Length = time.Hour
			if _, err := traces.NewArrivals(ao); err != nil {
				// "traces: ArrivalOptions.RatePerHour = -1: invalid option: why"
				// as "quantum.jobs.rate_per_hour = -1: why".
				msg := strings.NewReplacer("traces: ", "", ": "+traces.ErrInvalidOption.Error(), "",
					"ArrivalOptions.Burst.BurstRatePerHour", "quantum.jobs.burst.burst_rate_per_hour",
					"ArrivalOptions.Burst.MeanCalm", "quantum.jobs.burst.mean_calm", "ArrivalOptions.Burst.MeanBurst", "quantum.jobs.burst.mean_burst",
					"ArrivalOptions.RatePerHour", "quantum.jobs.rate_per_hour", "ArrivalOptions.MaxQubits", "quantum.jobs.max_qubits",
					"ArrivalOptions.Start", "start", "ArrivalOptions.Backends", "quantum.jobs.backends").Replace(err.Error())
				return nil, fmt.Errorf("%s: %w: %s", name, ErrScenarioFile, msg)
			}
			ao.Length = 0
			qs.Arrivals = ao
		}
		sc.Quantum = qs
	}
	sf := &ScenarioFile{Scenario: sc, Policies: doc.Policies, PolicyFiles: doc.PolicyFiles, Seed: doc.Seed}
	for i, p := range doc.Policies {
		if _, err := policy.Lookup(p); err != nil {
			return nil, fmt.Errorf("%s: %w: policies[%d]: %w", name, ErrScenarioFile, i, err)
		}
		if slices.Contains(doc.Policies[:i], p) {
			return nil, bad(fmt.Sprintf("policies[%d]", i), p, "named twice")
		}
	}
	return sf, nil
}
