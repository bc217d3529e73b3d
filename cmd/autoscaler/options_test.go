package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func load(t *testing.T, args, environ []string) (Options, error) {
	t.Helper()
	o := defaultOptions()
	fs := pflag.NewFlagSet("autoscaler", pflag.ContinueOnError)
	o.AddFlags(fs)
	err := o.Load(fs, args, environ)
	return o, err
}

// TestPrecedence checks flag > environment > file > default, for YAML and
// JSON files.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "c.yaml")
	os.WriteFile(yml, []byte("prometheus: http://file:9090\nquery: file_query\nsync_period: 5s\nmax-budget-usd-per-hour: 3\ndry_run: true\n"), 0o644)
	js := filepath.Join(dir, "c.json")
	os.WriteFile(js, []byte(`{"prometheus": "http://file:9090", "query": "file_query", "sync_period": "5s", "max_budget_usd_per_hour": 3, "dry_run": true}`), 0o644)
	for _, file := range []string{yml, js} {
		t.Run(filepath.Ext(file), func(t *testing.T) {
			o, err := load(t, []string{"--config", file, "--query", "flag_query"}, []string{
				"OMNIXAN_AUTOSCALING_QUERY=env_query",
				"OMNIXAN_AUTOSCALING_SYNC_PERIOD=3s",
				"OMNIXAN_AUTOSCALING_MODULE_NAME=from-env",
				"OTHER_VARIABLE=1",
			})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{"query": o.Query, "sync": o.SyncPeriod, "prometheus": o.Prometheus,
				"budget": o.MaxBudget, "dry": o.DryRun, "module": o.ModuleName, "format": o.LogFormat}
			want := map[string]any{"query": "flag_query", "sync": 3 * time.Second, "prometheus": "http://file:9090",
				"budget": 3.0, "dry": true, "module": "from-env", "format": "json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if o.origin["query"] != "--query" || o.origin["sync-period"] != "OMNIXAN_AUTOSCALING_SYNC_PERIOD" || o.origin["prometheus"] != file+": prometheus" {
				t.Errorf("origins: %v", o.origin)
			}
		})
	}
	// --config itself from the environment.
	o, err := load(t, nil, []string{"OMNIXAN_AUTOSCALING_CONFIG=" + yml})
	if err != nil || o.Query != "file_query" {
		t.Errorf("config from the environment: %v, query %q", err, o.Query)
	}
}

// TestConfigurationErrors checks that a bad setting is a ConfigurationError
// naming its flag, variable or key, with exit status 2.
func TestConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("prometheus: http://p:9090\nquery: up\ntarget: deployment/web\nsync_period: fast\n"), 0o644)
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("prometheus: http://p:9090\nsyncperiod: 5s\n"), 0o644)
	ok := []string{"--prometheus", "http://p:9090", "--query", "up", "--target", "deployment/web"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad flag value", slices.Concat(ok, []string{"--sync-period", "10ms"}), nil, "--sync-period = 10ms"},
		{"unparsable flag", slices.Concat(ok, []string{"--capacity-per-instance", "lots"}), nil, "capacity-per-instance"},
		{"bad variable", ok, map[string]string{"OMNIXAN_AUTOSCALING_MAX_BUDGET_USD_PER_HOUR": "-1"}, "OMNIXAN_AUTOSCALING_MAX_BUDGET_USD_PER_HOUR"},
		{"unparsable variable", ok, map[string]string{"OMNIXAN_AUTOSCALING_ENABLE_PROMETHEUS": "maybe"}, "OMNIXAN_AUTOSCALING_ENABLE_PROMETHEUS"},
		{"unknown variable", ok, map[string]string{"OMNIXAN_AUTOSCALING_SYNC": "1s"}, "OMNIXAN_AUTOSCALING_SYNC is not a setting"},
		{"bad key", []string{"--config", bad}, nil, bad + ": sync_period"},
		{"unknown key", []string{"--config", unknown}, nil, unknown + ": syncperiod is not a setting"},
		{"missing target", ok[:4], nil, "--target is required"},
		{"bad target", slices.Concat(ok[:4], []string{"--target", "pod/x"}), nil, "--target"},
		{"oracle", slices.Concat(ok, []string{"--policy", "oracle"}), nil, "--policy = oracle"},
		{"unknown policy", slices.Concat(ok, []string{"--policy", "magic"}), nil, "--policy"},
		{"bad log level", slices.Concat(ok, []string{"--log-level", "loud"}), nil, "--log-level"},
		{"missing policy file", slices.Concat(ok, []string{"--policy-file", filepath.Join(dir, "none.yaml")}), nil, "--policy-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, stderr, code := runInProcess(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, "configuration error") || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a configuration error naming %q", code, stderr, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	stdout, _, code := runInProcess(t, "--help")
	if code != 0 || !strings.Contains(stdout, "--sync-period") || !strings.Contains(stdout, "OMNIXAN_AUTOSCALING_") {
		t.Errorf("--help: exit %d, stdout %q", code, stdout)
	}
}
