package omnixan

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/cost"
)

// Defaults of Config, the original module's AutoScalingConfig.
const (
	DefaultModuleName              = "omnixan-autoscaling"
	DefaultLogLevel                = "INFO"
	DefaultQuantumCostPerQubitHour = 0.75                // USD per qubit-hour, as cost.QubitHour's default
	DefaultCPUCostPerCoreHour      = cost.USDPerCoreHour // USD per vCPU-hour
	DefaultPrometheusPort          = 8000
)

// EnvPrefix starts the name of every environment variable ConfigFromEnv
// reads.
const EnvPrefix = "OMNIXAN_AUTOSCALING_"

// Config is the module's configuration, the original module's
// AutoScalingConfig. Zero fields take the defaults in brackets, so the zero
// Config is the default configuration.
//
// A Config is a plain value: copy it freely. The Module takes a copy in New.
type Config struct {
	// ModuleName names the module in logs and in Status
	// ["omnixan-autoscaling"].
	ModuleName string
	// LogLevel is the least level the module logs at: DEBUG, INFO,
	// WARNING (or WARN), ERROR or CRITICAL, in any case ["INFO"]. It
	// filters the records the module sends to Options.Logger.
	LogLevel string
	// MaxBudgetUSDPerHour caps the running cost of the instances, in USD
	// per hour: check_and_scale clamps its target to what the budget
	// affords, and ScaleUp beyond it fails with a ResourceExhaustedError
	// whose Resource is "budget". 0 means no cap.
	MaxBudgetUSDPerHour float64
	// QuantumCostPerQubitHour prices the quantum workload, in USD per
	// qubit-hour [0.75]: Metrics.CostUSDPerHour adds
	// QuantumWorkload × QuantumCostPerQubitHour. As 0 means the default,
	// a free quantum workload cannot be configured.
	QuantumCostPerQubitHour float64
	// CPUCostPerCoreHour prices classical instances, in USD per vCPU-hour
	// [0.05]: an instance of c vCPUs costs c × CPUCostPerCoreHour per hour.
	// As with QuantumCostPerQubitHour, 0 means the default.
	CPUCostPerCoreHour float64
	// EnablePrometheus asks the embedding program to export Metrics on
	// /metrics at PrometheusPort. Package omnixan starts no server and
	// imports no Prometheus client: it records the setting (Status shows
	// it) for the program that serves, such as cmd/autoscaler. Off by
	// default.
	EnablePrometheus bool
	// PrometheusPort is the TCP port for /metrics, 1–65535 [8000].
	PrometheusPort int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.ModuleName == "" {
		c.ModuleName = DefaultModuleName
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.QuantumCostPerQubitHour == 0 {
		c.QuantumCostPerQubitHour = DefaultQuantumCostPerQubitHour
	}
	if c.CPUCostPerCoreHour == 0 {
		c.CPUCostPerCoreHour = DefaultCPUCostPerCoreHour
	}
	if c.PrometheusPort == 0 {
		c.PrometheusPort = DefaultPrometheusPort
	}
	return c
}

// Validate reports the first bad field, after defaults, as a
// *ConfigurationError whose Field is the Go field name
// ("MaxBudgetUSDPerHour"). It also matches ErrConfiguration and, with
// errors.As, *ScalingError.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		return configError("LogLevel", fmt.Sprintf("= %q, want DEBUG, INFO, WARNING, ERROR or CRITICAL", c.LogLevel), nil)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"MaxBudgetUSDPerHour", c.MaxBudgetUSDPerHour},
		{"QuantumCostPerQubitHour", c.QuantumCostPerQubitHour},
		{"CPUCostPerCoreHour", c.CPUCostPerCoreHour},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return configError(f.name, fmt.Sprintf("= %v, want a finite value ≥ 0 USD", f.v), nil)
		}
	}
	if c.PrometheusPort < 1 || c.PrometheusPort > 65535 {
		return configError("PrometheusPort", fmt.Sprintf("= %d, want 1–65535", c.PrometheusPort), nil)
	}
	return nil
}

// ParseLogLevel maps the original module's level names (DEBUG, INFO,
// WARNING or WARN, ERROR, CRITICAL; any case) to slog levels. CRITICAL,
// which slog lacks, is slog.LevelError + 4.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "CRITICAL":
		return slog.LevelError + 4, nil
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// The environment variables ConfigFromEnv reads, one per Config field.
const (
	EnvModuleName              = EnvPrefix + "MODULE_NAME"
	EnvLogLevel                = EnvPrefix + "LOG_LEVEL"
	EnvMaxBudgetUSDPerHour     = EnvPrefix + "MAX_BUDGET_USD_PER_HOUR"
	EnvQuantumCostPerQubitHour = EnvPrefix + "QUANTUM_COST_PER_QUBIT_HOUR"
	EnvCPUCostPerCoreHour      = EnvPrefix + "CPU_COST_PER_CORE_HOUR"
	EnvEnablePrometheus        = EnvPrefix + "ENABLE_PROMETHEUS"
	EnvPrometheusPort          = EnvPrefix + "PROMETHEUS_PORT"
)

// ConfigFromEnv returns the default Config with the OMNIXAN_AUTOSCALING_*
// environment variables applied (see ApplyEnv), validated.
func ConfigFromEnv() (Config, error) {
	c, err := Config{}.ApplyEnv(os.LookupEnv)
	if err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// ApplyEnv returns c with every variable that lookup finds set applied:
//
//	OMNIXAN_AUTOSCALING_MODULE_NAME              ModuleName
//	OMNIXAN_AUTOSCALING_LOG_LEVEL                LogLevel
//	OMNIXAN_AUTOSCALING_MAX_BUDGET_USD_PER_HOUR  MaxBudgetUSDPerHour (a number)
//	OMNIXAN_AUTOSCALING_QUANTUM_COST_PER_QUBIT_HOUR  QuantumCostPerQubitHour
//	OMNIXAN_AUTOSCALING_CPU_COST_PER_CORE_HOUR   CPUCostPerCoreHour
//	OMNIXAN_AUTOSCALING_ENABLE_PROMETHEUS        EnablePrometheus (true/false, 1/0, as strconv.ParseBool)
//	OMNIXAN_AUTOSCALING_PROMETHEUS_PORT          PrometheusPort (an integer)
//
// An empty value counts as set. A value that does not parse or is out of
// range gives a *ConfigurationError whose Field is the variable's name.
// lookup has os.LookupEnv's signature; pass os.LookupEnv for the process
// environment, or a map's lookup in tests.
func (c Config) ApplyEnv(lookup func(string) (string, bool)) (Config, error) {
	if v, ok := lookup(EnvModuleName); ok {
		if strings.TrimSpace(v) == "" {
			return c, configError(EnvModuleName, "is empty", nil)
		}
		c.ModuleName = v
	}
	if v, ok := lookup(EnvLogLevel); ok {
		if _, err := ParseLogLevel(v); err != nil {
			return c, configError(EnvLogLevel, fmt.Sprintf("= %q, want DEBUG, INFO, WARNING, ERROR or CRITICAL", v), nil)
		}
		c.LogLevel = v
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{
		{EnvMaxBudgetUSDPerHour, &c.MaxBudgetUSDPerHour},
		{EnvQuantumCostPerQubitHour, &c.QuantumCostPerQubitHour},
		{EnvCPUCostPerCoreHour, &c.CPUCostPerCoreHour},
	} {
		v, ok := lookup(f.name)
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return c, configError(f.name, fmt.Sprintf("= %q, want a finite number ≥ 0", v), err)
		}
		*f.dst = x
	}
	if v, ok := lookup(EnvEnablePrometheus); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return c, configError(EnvEnablePrometheus, fmt.Sprintf("= %q, want true or false", v), err)
		}
		c.EnablePrometheus = b
	}
	if v, ok := lookup(EnvPrometheusPort); ok {
		p, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || p < 1 || p > 65535 {
			return c, configError(EnvPrometheusPort, fmt.Sprintf("= %q, want a port 1–65535", v), err)
		}
		c.PrometheusPort = p
	}
	return c, nil
}

// configError builds the engine's *ConfigurationError for a field of this
// package.
func configError(field, problem string, cause error) *autoscaler.ConfigurationError {
	return &autoscaler.ConfigurationError{
		ScalingError: autoscaler.ScalingError{Op: autoscaler.OpConfigure, Err: cause},
		Field:        field,
		Problem:      problem,
	}
}
