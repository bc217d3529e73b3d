package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type nested struct {
	Period time.Duration `json:"period"`
	Value  float64       `json:"value"`
}

type decodeTarget struct {
	Cooldown time.Duration  `json:"cooldown"`
	Ratio    float64        `json:"ratio"`
	Count    int            `json:"count"`
	On       bool           `json:"on"`
	Names    []string       `json:"names"`
	Inner    nested         `json:"inner"`
	List     []nested       `json:"list"`
	Opt      *nested        `json:"opt"`
	PMin     *int           `json:"pmin"`
	PWin     *time.Duration `json:"pwin"`
	Ignored  int
}

func TestDecodeParams(t *testing.T) {
	var got decodeTarget
	err := DecodeParams(map[string]any{
		"cooldown": "2m", "ratio": 0.5, "count": 3.0, "on": true, "names": []any{"a", "b"},
		"inner": map[string]any{"period": 15.0, "value": 2.0},
		"list":  []any{map[string]any{"period": "1s"}},
		"opt":   map[string]any{"value": 1.0},
		"pmin":  0.0, "pwin": "1m",
	}, &got)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeTarget{Cooldown: 2 * time.Minute, Ratio: 0.5, Count: 3, On: true, Names: []string{"a", "b"},
		Inner: nested{Period: 15 * time.Second, Value: 2}, List: []nested{{Period: time.Second}}, Opt: &nested{Value: 1}, PMin: new(0), PWin: new(time.Minute)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

func TestDecodeParamsErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		key    string
	}{
		{map[string]any{"cooldwn": "1s"}, `"cooldwn"`},
		{map[string]any{"cooldown": "soon"}, "cooldown"},
		{map[string]any{"count": "three"}, "count"},
		{map[string]any{"count": 2.5}, "count"},
		{map[string]any{"inner": map[string]any{"valeu": 1.0}}, `"inner.valeu"`},
		{map[string]any{"list": []any{map[string]any{"period": true}}}, "list[0].period"},
		{map[string]any{"Ignored": 1.0}, `"Ignored"`},
	} {
		var d decodeTarget
		err := DecodeParams(tc.params, &d)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%v: err = %v, want ErrInvalidConfig naming %s", tc.params, err, tc.key)
		}
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range []string{"threshold", "oracle"} {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.New(Env{StartupDelay: time.Minute, SyncPeriod: 15 * time.Second}, nil)
		if err != nil || p.Name() != name {
			t.Errorf("%s: New = %v, %v", name, p, err)
		}
	}
	if _, err := Lookup("magic"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("Lookup(magic) = %v", err)
	}
	s, _ := Lookup("threshold")
	p, err := s.New(Env{}, map[string]any{"cooldown": "60s", "max": 8.0})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(*Threshold).Config(); c.Cooldown != time.Minute || c.Max != 8 || c.Min != 2 {
		t.Errorf("threshold from params: %+v", c)
	}
	if _, err := s.New(Env{}, map[string]any{"max": 1.0}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("max below min: %v", err)
	}
	for _, sp := range Specs() {
		for _, pr := range sp.Params {
			if pr.Name == "" || pr.Unit == "" || pr.Default == "" || pr.Doc == "" {
				t.Errorf("%s: parameter %+v is not fully documented", sp.Name, pr)
			}
		}
	}
}
