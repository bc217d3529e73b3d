package omnixan

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	want := Config{
		ModuleName:              "omnixan-autoscaling",
		LogLevel:                "INFO",
		QuantumCostPerQubitHour: 0.75,
		CPUCostPerCoreHour:      0.05,
		PrometheusPort:          8000,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WithDefaults (-want +got):\n%s", diff)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		EnvModuleName:              "quantum-web",
		EnvLogLevel:                "warning",
		EnvMaxBudgetUSDPerHour:     "12.5",
		EnvQuantumCostPerQubitHour: "0.9",
		EnvCPUCostPerCoreHour:      " 0.04 ",
		EnvEnablePrometheus:        "true",
		EnvPrometheusPort:          "9100",
	}
	got, err := Config{}.ApplyEnv(mapLookup(env))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ModuleName: "quantum-web", LogLevel: "warning", MaxBudgetUSDPerHour: 12.5,
		QuantumCostPerQubitHour: 0.9, CPUCostPerCoreHour: 0.04, EnablePrometheus: true, PrometheusPort: 9100,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ApplyEnv (-want +got):\n%s", diff)
	}
	// Unset variables leave the fields alone.
	base := Config{ModuleName: "kept", PrometheusPort: 1234}
	if got, err := base.ApplyEnv(mapLookup(nil)); err != nil || got != base {
		t.Errorf("ApplyEnv(empty) = %+v, %v; want %+v", got, err, base)
	}
}

func TestApplyEnvErrorsNameTheVariable(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{EnvModuleName, "  "},
		{EnvLogLevel, "LOUD"},
		{EnvMaxBudgetUSDPerHour, "ten"},
		{EnvMaxBudgetUSDPerHour, "-1"},
		{EnvMaxBudgetUSDPerHour, "NaN"},
		{EnvQuantumCostPerQubitHour, "Inf"},
		{EnvCPUCostPerCoreHour, ""},
		{EnvEnablePrometheus, "yes please"},
		{EnvPrometheusPort, "70000"},
		{EnvPrometheusPort, "80.5"},
	} {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Config{}.ApplyEnv(mapLookup(map[string]string{tt.name: tt.value}))
			var ce *ConfigurationError
			if !errors.As(err, &ce) || ce.Field != tt.name {
				t.Fatalf("error %v; want a *ConfigurationError on %s", err, tt.name)
			}
			if !errors.Is(err, ErrConfiguration) {
				t.Errorf("%v does not match ErrConfiguration", err)
			}
			var se *ScalingError
			if !errors.As(err, &se) || se.Op != "configure" {
				t.Errorf("%v: errors.As *ScalingError = %v", err, se)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvMaxBudgetUSDPerHour, "3")
	t.Setenv(EnvPrometheusPort, "9200")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxBudgetUSDPerHour != 3 || c.PrometheusPort != 9200 || c.ModuleName != "" {
		t.Errorf("ConfigFromEnv = %+v", c)
	}
	t.Setenv(EnvLogLevel, "chatty")
	var ce *ConfigurationError
	if _, err := ConfigFromEnv(); !errors.As(err, &ce) || ce.Field != EnvLogLevel {
		t.Errorf("ConfigFromEnv with a bad level: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		field string
		cfg   Config
	}{
		{"LogLevel", Config{LogLevel: "TRACE"}},
		{"MaxBudgetUSDPerHour", Config{MaxBudgetUSDPerHour: -1}},
		{"QuantumCostPerQubitHour", Config{QuantumCostPerQubitHour: -0.1}},
		{"CPUCostPerCoreHour", Config{CPUCostPerCoreHour: math.Inf(1)}},
		{"PrometheusPort", Config{PrometheusPort: 65536}},
		{"PrometheusPort", Config{PrometheusPort: -1}},
	} {
		var ce *ConfigurationError
		if err := tt.cfg.Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("Validate(%+v) = %v; want a *ConfigurationError on %s", tt.cfg, err, tt.field)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	for in, want := range map[string]string{"debug": "DEBUG", "INFO": "INFO", "Warning": "WARN", "WARN": "WARN", "error": "ERROR", "CRITICAL": "ERROR+4"} {
		lv, err := ParseLogLevel(in)
		if err != nil || lv.String() != want {
			t.Errorf("ParseLogLevel(%q) = %v, %v; want %s", in, lv, err, want)
		}
	}
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
