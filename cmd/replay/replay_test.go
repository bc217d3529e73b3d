package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedTraces is the folder of real traces, relative to this package.
const sharedTraces = "../../../shared/data/traces"

// realTrace returns the path of a shared per-minute trace, skipping the
// test when it is absent, unless CI is set.
func realTrace(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(sharedTraces, name, name+"-per-minute.csv")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real trace missing under CI: %v", err)
		}
		t.Skipf("real trace absent (%v): the shared data folder is not next to the repository", err)
	}
	return p
}

// replaySummary is what the tests read of summary.json.
type replaySummary struct {
	Scenario            string  `json:"scenario"`
	Seed                uint64  `json:"seed"`
	StepSeconds         float64 `json:"step_seconds"`
	Trace               string  `json:"trace"`
	CapacityPerInstance float64 `json:"capacity_per_instance"`
	CapacitySource      string  `json:"capacity_source"`
	Start, End          time.Time
	Policies            []struct {
		Name           string  `json:"name"`
		SpendUSD       float64 `json:"spend_usd"`
		SLOMissMinutes float64 `json:"slo_miss_minutes"`
		PeakInstances  int     `json:"peak_instances"`
	} `json:"policies"`
}

func readSummary(t *testing.T, dir string) replaySummary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s replaySummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.md", "demand-vs-capacity.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	return s
}

func TestReplayRealTraces(t *testing.T) {
	tests := []struct {
		trace string
		p99   float64 // exact 99th percentile of the series, when known
		span  time.Duration
	}{
		// SOURCE.md: NASA p99 129 req/min, 84,332 minutes.
		{"nasa-http-1995", 129, 84332 * time.Minute},
		{"alibaba-2018-machine-usage", 0, 11207 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.trace, func(t *testing.T) {
			if testing.Short() && tt.trace == "nasa-http-1995" {
				t.Skip("-short: NASA is 58 days")
			}
			path := realTrace(t, tt.trace)
			dir := t.TempDir()
			start := time.Now()
			stdout, stderr, code := runReplay(t, "--trace", path, "--policies", "threshold,target-tracking", "--out", dir)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			t.Logf("replayed %s with 2 policies and the oracle in %v", tt.trace, time.Since(start).Round(time.Millisecond))
			if !strings.Contains(stdout, "capacity per instance: ") || !strings.Contains(stdout, "p99/20") {
				t.Errorf("stdout does not say how the capacity was set:\n%s", stdout)
			}
			s := readSummary(t, dir)
			if s.CapacitySource != "p99/20" || s.CapacityPerInstance <= 0 {
				t.Errorf("capacity %v from %q, want p99/20", s.CapacityPerInstance, s.CapacitySource)
			}
			if tt.p99 > 0 && math.Abs(s.CapacityPerInstance-tt.p99/20) > 0.02*tt.p99/20 {
				t.Errorf("capacity per instance %v, want %v within 2%%", s.CapacityPerInstance, tt.p99/20)
			}
			if got := s.End.Sub(s.Start); got < tt.span-time.Minute || got > tt.span+time.Minute {
				t.Errorf("span %v, want %v", got, tt.span)
			}
			var names []string
			for _, p := range s.Policies {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != "threshold,target-tracking,oracle" {
				t.Fatalf("policies %q", names)
			}
			oracle := s.Policies[2]
			if oracle.SLOMissMinutes != 0 {
				t.Errorf("the oracle missed the SLO for %v minutes", oracle.SLOMissMinutes)
			}
			if oracle.PeakInstances < 20 {
				t.Errorf("oracle peak %d instances: the p99 alone needs 20", oracle.PeakInstances)
			}
		})
	}
}

// writeFile writes content to name in a fresh temporary folder.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReplaySmallTraces(t *testing.T) {
	csv := writeFile(t, "load.csv", "timestamp,rpm\n0,100\n60,200\n120,150\n600,300\n660,100\n")
	dir := t.TempDir()
	stdout, stderr, code := runReplay(t, "--trace", csv, "--capacity-per-instance", "50", "--policies", "threshold", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := readSummary(t, dir)
	if s.CapacityPerInstance != 50 || s.CapacitySource != "flag" || !strings.Contains(stdout, "--capacity-per-instance") {
		t.Errorf("capacity %v from %q\n%s", s.CapacityPerInstance, s.CapacitySource, stdout)
	}
	// The gap 120–600 s holds 150; the last row holds for the 60 s before it.
	if got := s.End.Sub(s.Start); got != 12*time.Minute {
		t.Errorf("span %v, want 12m", got)
	}

	js := writeFile(t, "q.json", `{"status":"success","data":{"resultType":"matrix","result":[
		{"metric":{"pod":"a"},"values":[[1700000000,"1"],[1700000060,"1"]]},
		{"metric":{"pod":"b"},"values":[[1700000000,"10"],[1700000060,"30"],[1700000120,"20"],[1700000180,"40"]]}]}}`)
	dir = t.TempDir()
	if _, stderr, code := runReplay(t, "--trace", js, "--series-label", "pod=b", "--out", dir, "-q"); code != 0 {
		t.Fatalf("prometheus-json: exit %d: %s", code, stderr)
	}
	s = readSummary(t, dir)
	// p99 of 10, 30, 20, 40 is 30 (the value of rank ⌊0.99·3⌋): 30/20 = 1.5.
	if s.Start != time.Unix(1700000000, 0).UTC() || s.CapacitySource != "p99/20" || math.Abs(s.CapacityPerInstance-1.5) > 0.03 {
		t.Errorf("prometheus-json summary: %+v", s)
	}
}

func TestReplayErrors(t *testing.T) {
	good := writeFile(t, "good.csv", "timestamp,value\n0,1\n60,2\n")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no trace", []string{"--out", "x"}, 2, "give --trace FILE or --prometheus URL"},
		{"both sources", []string{"--trace", good, "--prometheus", "http://127.0.0.1:1"}, 2, "give one, not both"},
		{"unknown flag", []string{"--trace", good, "--bogus"}, 2, "unknown flag: --bogus"},
		{"stray argument", []string{"--trace", good, "extra"}, 2, `unexpected argument "extra"`},
		{"bad format", []string{"--trace", good, "--format", "xml"}, 2, `--format "xml"`},
		{"negative capacity", []string{"--trace", good, "--capacity-per-instance", "-1"}, 2, "--capacity-per-instance -1"},
		{"NaN capacity", []string{"--trace", good, "--capacity-per-instance", "NaN"}, 2, "--capacity-per-instance NaN"},
		{"unknown policy", []string{"--trace", good, "--policies", "nope"}, 2, "--policies: "},
		{"short step", []string{"--trace", good, "--step", "10ms"}, 2, "--step 10ms"},
		{"bad label", []string{"--trace", good, "--series-label", "novalue"}, 2, "--series-label"},
		{"label on CSV", []string{"--trace", good, "--series-label", "a=b"}, 2, "--series-label applies to"},
		{"unknown extension", []string{"--trace", writeFile(t, "load.txt", "x")}, 2, "unknown trace format"},
		{"prometheus without query", []string{"--prometheus", "http://127.0.0.1:1", "--start", "0", "--end", "1"}, 2, "needs --query"},
		{"bad start", []string{"--prometheus", "http://127.0.0.1:1", "--query", "up", "--start", "yesterday", "--end", "now"}, 2, `--start: "yesterday"`},
		{"end before start", []string{"--prometheus", "http://127.0.0.1:1", "--query", "up", "--start", "now", "--end", "now-1h"}, 2, "is not after --start"},
		{"missing file", []string{"--trace", filepath.Join(t.TempDir(), "none.csv")}, 1, "no such file"},
		{"missing column", []string{"--trace", good, "--column", "rps"}, 1, `no column "rps"`},
		{"out of order", []string{"--trace", writeFile(t, "ooo.csv", "timestamp,value\n0,1\n120,2\n60,3\n")}, 1, `ooo.csv:4: column "timestamp": timestamp out of order`},
		{"NaN in CSV", []string{"--trace", writeFile(t, "nan.csv", "timestamp,value\n0,1\n60,NaN\n")}, 1, `nan.csv:3: column "value": value not finite`},
		{"negative in CSV", []string{"--trace", writeFile(t, "neg.csv", "timestamp,value\n0,1\n60,-3\n")}, 1, `neg.csv:3: column "value": negative value`},
		{"all zero", []string{"--trace", writeFile(t, "zero.csv", "timestamp,value\n0,0\n60,0\n")}, 1, "give --capacity-per-instance"},
		{"NaN in prometheus-json", []string{"--trace", writeFile(t, "nan.json", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"NaN"]]}]}}`)}, 1, `nan.json: row 2: column "value": value not finite`},
		{"two series", []string{"--trace", writeFile(t, "two.json", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"]]},{"metric":{"a":"2"},"values":[[1,"1"]]}]}}`)}, 1, "more than one series"},
		{"server down", []string{"--prometheus", "http://127.0.0.1:1", "--query", "up", "--start", "now-1m", "--end", "now"}, 1, "--prometheus http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--out") {
				args = append(args, "--out", t.TempDir())
			}
			_, stderr, code := runReplay(t, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
