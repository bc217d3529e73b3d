package cost

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// ErrUnknownKey is wrapped by a *CatalogueError for a key the catalogue
// format does not define (often a misspelling).
var ErrUnknownKey = errors.New("unknown key")

// CatalogueError is an error in a catalogue file, located by the file name
// and the key path (for example "instances[2].spot_discount"). It unwraps to
// ErrUnknownKey, ErrInvalidPrice or the decoding error.
type CatalogueError struct {
	File string // the name given to ParseCatalogue, or the path
	Key  string // dotted key path; empty when the error is about the whole file
	Err  error
}

// Error returns the file, the key when known, and the problem.
func (e *CatalogueError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, e.Key, e.Err)
}

// Unwrap returns Err.
func (e *CatalogueError) Unwrap() error { return e.Err }

// Duration is a time.Duration written as a Go duration string ("1s", "60s",
// "1h") in catalogue files.
type Duration time.Duration

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"60s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Citation says where a price was published and when. Date is "YYYY",
// "YYYY-MM" or "YYYY-MM-DD": prices change, so every entry carries one.
type Citation struct {
	Source string `json:"source"` // where the price is published (URL or document)
	Date   string `json:"date"`   // when the price was read or published
}

// Billing is how an instance's life is rounded before it is priced.
type Billing struct {
	Granularity Duration `json:"granularity"` // billing increment; 0 means one second
	Minimum     Duration `json:"minimum"`     // least billed time per instance; 0 means none
}

// Instance is one classical instance type in a catalogue file.
type Instance struct {
	Name         string  `json:"name"`
	VCPU         float64 `json:"vcpu"`          // vCPUs, > 0
	MemoryGiB    float64 `json:"memory_gib"`    // memory, GiB, ≥ 0
	USDPerHour   float64 `json:"usd_per_hour"`  // on-demand price of one instance-hour, USD
	Billing      Billing `json:"billing"`       // rounding of the instance's life
	SpotDiscount float64 `json:"spot_discount"` // fraction off on spot capacity, 0..1; 0 means no spot price
	Citation
}

// Price returns the on-demand price with the instance's billing rules.
func (i Instance) Price() InstanceHour {
	return InstanceHour{USDPerHour: i.USDPerHour, Granularity: time.Duration(i.Billing.Granularity), Minimum: time.Duration(i.Billing.Minimum)}
}

// SpotPrice returns the price on spot capacity: USDPerHour·(1 − SpotDiscount),
// with the same billing rules.
func (i Instance) SpotPrice() InstanceHour {
	p := i.Price()
	p.USDPerHour *= 1 - i.SpotDiscount
	return p
}

// Type returns the instance as an InstanceType, the form policies size with.
func (i Instance) Type() InstanceType {
	return InstanceType{Name: i.Name, CPU: i.VCPU, MemoryGiB: i.MemoryGiB, USDPerHour: i.USDPerHour}
}

// ResourcePrice prices an arbitrary size by its parts:
// USD/h = vCPU·USDPerCoreHour + GiB·USDPerGiBHour.
type ResourcePrice struct {
	USDPerCoreHour float64 `json:"usd_per_core_hour"` // USD per vCPU per hour
	USDPerGiBHour  float64 `json:"usd_per_gib_hour"`  // USD per GiB of memory per hour
	Billing        Billing `json:"billing"`
	SpotDiscount   float64 `json:"spot_discount"` // fraction off on spot capacity, 0..1
	Citation
}

// Price returns the on-demand price of an instance of vcpu vCPUs and gib GiB.
func (r ResourcePrice) Price(vcpu, gib float64) InstanceHour {
	return InstanceHour{
		USDPerHour:  vcpu*r.USDPerCoreHour + gib*r.USDPerGiBHour,
		Granularity: time.Duration(r.Billing.Granularity),
		Minimum:     time.Duration(r.Billing.Minimum),
	}
}

// SpotPrice is Price less the spot discount.
func (r ResourcePrice) SpotPrice(vcpu, gib float64) InstanceHour {
	p := r.Price(vcpu, gib)
	p.USDPerHour *= 1 - r.SpotDiscount
	return p
}

// QuantumCatalogue holds the quantum price models, by kind.
type QuantumCatalogue struct {
	QubitHour    []QubitHour    `json:"qubit_hour"`
	PerShot      []PerShot      `json:"per_shot"`
	PerQPUSecond []PerQPUSecond `json:"per_qpu_second"`
	Simulators   []Simulator    `json:"simulators"`
}

// Catalogue is a price catalogue: classical instance types, per-resource
// prices for arbitrary sizes, and quantum price models. docs/cost-catalogue.md
// documents the file format.
type Catalogue struct {
	Instances []Instance       `json:"instances"`
	Resources *ResourcePrice   `json:"resources,omitempty"` // nil when the file has none
	Quantum   QuantumCatalogue `json:"quantum"`
}

// LoadCatalogue reads a catalogue file, YAML or JSON. Unknown keys, values
// out of range and entries without a source or date are *CatalogueError
// values naming the file and the key.
func LoadCatalogue(path string) (*Catalogue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCatalogue(path, data)
}

//go:embed default-catalogue.yaml
var defaultCatalogueYAML []byte

// DefaultCatalogueFile is the embedded default catalogue, as YAML text.
func DefaultCatalogueFile() []byte { return append([]byte(nil), defaultCatalogueYAML...) }

// DefaultPrices returns the embedded default catalogue (default-catalogue.yaml
// in this package), a new value on each call. Its instances are those of
// DefaultCatalogue.
func DefaultPrices() *Catalogue {
	c, err := ParseCatalogue("default-catalogue.yaml", defaultCatalogueYAML)
	if err != nil {
		panic("cost: embedded catalogue: " + err.Error()) // a test guards this
	}
	return c
}

// ParseCatalogue is LoadCatalogue on the file's contents; name is used in
// errors.
func ParseCatalogue(name string, data []byte) (*Catalogue, error) {
	fail := func(key string, err error) error { return &CatalogueError{File: name, Key: key, Err: err} }
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fail("", fmt.Errorf("not YAML or JSON: %w", err))
	}
	var raw any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fail("", err)
	}
	if raw == nil {
		return nil, fail("", errors.New("empty catalogue"))
	}
	if key, err := checkKeys(raw, reflect.TypeFor[Catalogue](), ""); err != nil {
		return nil, fail(key, err)
	}
	var c Catalogue
	if err := json.Unmarshal(js, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fail(te.Field, fmt.Errorf("want %v, got a JSON %s", te.Type, te.Value))
		}
		return nil, fail("", err)
	}
	if key, err := c.validate(); err != nil {
		return nil, fail(key, err)
	}
	return &c, nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkKeys walks decoded JSON against the Go type it will decode into and
// returns the path of the first key (in sorted order) that t does not define.
func checkKeys(v any, t reflect.Type, path string) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return "", nil
	}
	switch t.Kind() {
	case reflect.Slice:
		if a, ok := v.([]any); ok {
			for i, e := range a {
				if key, err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return key, err
				}
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return "", nil // a type error, which json.Unmarshal reports
		}
		fields := map[string]reflect.Type{}
		jsonFields(t, fields)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				return p, ErrUnknownKey
			}
			if key, err := checkKeys(m[k], ft, p); err != nil {
				return key, err
			}
		}
	}
	return "", nil
}

// jsonFields collects the JSON keys of struct type t, flattening embedded
// structs as encoding/json does.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			jsonFields(f.Type, out)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}

var dateRE = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)

func (c Citation) validate() (string, error) {
	switch {
	case strings.TrimSpace(c.Source) == "":
		return "source", fmt.Errorf("%w: missing, want where the price is published", ErrInvalidPrice)
	case !dateRE.MatchString(c.Date):
		return "date", fmt.Errorf("%w: %q, want YYYY, YYYY-MM or YYYY-MM-DD", ErrInvalidPrice, c.Date)
	}
	return "", nil
}

func checkUSD(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%w: %v, want a finite value ≥ 0", ErrInvalidPrice, v)
	}
	return nil
}

func checkFraction(v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("%w: %v, want 0..1", ErrInvalidPrice, v)
	}
	return nil
}

func checkBilling(b Billing) (string, error) {
	if b.Granularity < 0 {
		return "billing.granularity", fmt.Errorf("%w: %v, want ≥ 0", ErrInvalidPrice, time.Duration(b.Granularity))
	}
	if b.Minimum < 0 {
		return "billing.minimum", fmt.Errorf("%w: %v, want ≥ 0", ErrInvalidPrice, time.Duration(b.Minimum))
	}
	return "", nil
}

// check is one field to validate: its key and its error, if any.
type check struct {
	key string
	err error
}

func first(prefix string, cs ...check) (string, error) {
	for _, c := range cs {
		if c.err != nil {
			return prefix + "." + c.key, c.err
		}
	}
	return "", nil
}

func name(n string) error {
	if strings.TrimSpace(n) == "" {
		return fmt.Errorf("%w: missing", ErrInvalidPrice)
	}
	return nil
}

func cite(c Citation) check {
	k, err := c.validate()
	return check{k, err}
}

func (c *Catalogue) validate() (string, error) {
	seen := map[string]string{}
	unique := func(n, where string) error {
		if prev, ok := seen[n]; ok {
			return fmt.Errorf("%w: %q already names %s", ErrInvalidPrice, n, prev)
		}
		seen[n] = where
		return nil
	}
	for i, e := range c.Instances {
		p := fmt.Sprintf("instances[%d]", i)
		bk, berr := checkBilling(e.Billing)
		var cpuErr, memErr error
		if math.IsNaN(e.VCPU) || math.IsInf(e.VCPU, 0) || e.VCPU <= 0 {
			cpuErr = fmt.Errorf("%w: %v, want a finite value > 0", ErrInvalidPrice, e.VCPU)
		}
		if math.IsNaN(e.MemoryGiB) || math.IsInf(e.MemoryGiB, 0) || e.MemoryGiB < 0 {
			memErr = fmt.Errorf("%w: %v, want a finite value ≥ 0", ErrInvalidPrice, e.MemoryGiB)
		}
		if k, err := first(p, check{"name", name(e.Name)}, check{"name", unique(e.Name, p)}, check{"vcpu", cpuErr},
			check{"memory_gib", memErr}, check{"usd_per_hour", checkUSD(e.USDPerHour)}, check{bk, berr},
			check{"spot_discount", checkFraction(e.SpotDiscount)}, cite(e.Citation)); err != nil {
			return k, err
		}
	}
	if r := c.Resources; r != nil {
		bk, berr := checkBilling(r.Billing)
		if k, err := first("resources", check{"usd_per_core_hour", checkUSD(r.USDPerCoreHour)},
			check{"usd_per_gib_hour", checkUSD(r.USDPerGiBHour)}, check{bk, berr},
			check{"spot_discount", checkFraction(r.SpotDiscount)}, cite(r.Citation)); err != nil {
			return k, err
		}
	}
	q := c.Quantum
	for i, e := range q.QubitHour {
		p := fmt.Sprintf("quantum.qubit_hour[%d]", i)
		if k, err := first(p, check{"name", name(e.Name)}, check{"name", unique(e.Name, p)},
			check{"usd_per_qubit_hour", checkUSD(e.USDPerQubitHour)}, cite(e.Citation)); err != nil {
			return k, err
		}
	}
	for i, e := range q.PerShot {
		p := fmt.Sprintf("quantum.per_shot[%d]", i)
		if k, err := first(p, check{"name", name(e.Name)}, check{"name", unique(e.Name, p)},
			check{"usd_per_task", checkUSD(e.USDPerTask)}, check{"usd_per_shot", checkUSD(e.USDPerShot)},
			cite(e.Citation)); err != nil {
			return k, err
		}
	}
	for i, e := range q.PerQPUSecond {
		p := fmt.Sprintf("quantum.per_qpu_second[%d]", i)
		var capErr error
		if e.MaxRuntime < 0 {
			capErr = fmt.Errorf("%w: %v, want ≥ 0", ErrInvalidPrice, time.Duration(e.MaxRuntime))
		}
		if k, err := first(p, check{"name", name(e.Name)}, check{"name", unique(e.Name, p)},
			check{"usd_per_second", checkUSD(e.USDPerSecond)}, check{"max_runtime", capErr},
			cite(e.Citation)); err != nil {
			return k, err
		}
	}
	for i, e := range q.Simulators {
		p := fmt.Sprintf("quantum.simulators[%d]", i)
		var minErr error
		if e.Minimum < 0 {
			minErr = fmt.Errorf("%w: %v, want ≥ 0", ErrInvalidPrice, time.Duration(e.Minimum))
		}
		if k, err := first(p, check{"name", name(e.Name)}, check{"name", unique(e.Name, p)},
			check{"usd_per_minute", checkUSD(e.USDPerMinute)}, check{"minimum", minErr},
			cite(e.Citation)); err != nil {
			return k, err
		}
	}
	return "", nil
}

// Instance returns the instance type called name.
func (c *Catalogue) Instance(name string) (Instance, bool) {
	for _, e := range c.Instances {
		if e.Name == name {
			return e, true
		}
	}
	return Instance{}, false
}

// InstanceTypes returns the catalogue's instances as InstanceTypes, in file
// order, for policies that choose a size.
func (c *Catalogue) InstanceTypes() []InstanceType {
	out := make([]InstanceType, len(c.Instances))
	for i, e := range c.Instances {
		out[i] = e.Type()
	}
	return out
}

// QuantumPrice returns the quantum price model called name, of any kind.
func (c *Catalogue) QuantumPrice(name string) (QuantumPrice, bool) {
	q := c.Quantum
	for _, e := range q.QubitHour {
		if e.Name == name {
			return e, true
		}
	}
	for _, e := range q.PerShot {
		if e.Name == name {
			return e, true
		}
	}
	for _, e := range q.PerQPUSecond {
		if e.Name == name {
			return e, true
		}
	}
	for _, e := range q.Simulators {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}
