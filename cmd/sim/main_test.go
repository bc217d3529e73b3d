package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runSim(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestDefaultRunWritesReport(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runSim(t, "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"threshold", "oracle", "spend USD", "summary.json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var sum struct {
		Scenario    string  `json:"scenario"`
		Seed        uint64  `json:"seed"`
		StepSeconds float64 `json:"step_seconds"`
		Start, End  string
		Policies    []struct {
			Name           string  `json:"name"`
			SpendUSD       float64 `json:"spend_usd"`
			SLOMissMinutes float64 `json:"slo_miss_minutes"`
			PeakInstances  int     `json:"peak_instances"`
			Overprovision  float64 `json:"overprovision_ratio"`
		} `json:"policies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Scenario != "web-diurnal" || sum.Seed != 1 || sum.StepSeconds != 10 || sum.Start != "2026-01-05T00:00:00Z" || sum.End != "2026-01-12T00:00:00Z" {
		t.Errorf("run header: %+v", sum)
	}
	if len(sum.Policies) != 2 || sum.Policies[0].Name != "threshold" || sum.Policies[1].Name != "oracle" {
		t.Fatalf("policies: %+v", sum.Policies)
	}
	thr, orc := sum.Policies[0], sum.Policies[1]
	if orc.SLOMissMinutes != 0 {
		t.Errorf("the oracle missed the SLO for %v minutes", orc.SLOMissMinutes)
	}
	if !(orc.SpendUSD > 0 && orc.SpendUSD < thr.SpendUSD) {
		t.Errorf("oracle spend %v should be positive and below threshold's %v", orc.SpendUSD, thr.SpendUSD)
	}
	if thr.PeakInstances > 20 || thr.PeakInstances < 2 {
		t.Errorf("threshold peak %d outside its bounds [2, 20]", thr.PeakInstances)
	}
	if orc.Overprovision < 1 || thr.Overprovision <= orc.Overprovision {
		t.Errorf("over-provisioning: oracle %v, threshold %v", orc.Overprovision, thr.Overprovision)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil || !strings.Contains(string(md), "| threshold |") {
		t.Errorf("summary.md: %v\n%s", err, md)
	}
	f, err := os.Open(filepath.Join(dir, "demand-vs-capacity.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("demand-vs-capacity.png: %v", err)
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	read := func(seed string) []byte {
		dir := t.TempDir()
		if _, stderr, code := runSim(t, "--scenario", "web-diurnal", "--days", "1", "--seed", seed, "--out", dir, "--quiet"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := read("42"), read("42")
	if !bytes.Equal(a, b) {
		t.Errorf("same seed, different summary.json:\n%s", cmp.Diff(string(a), string(b)))
	}
	if c := read("43"); bytes.Equal(a, c) {
		t.Error("seeds 42 and 43 gave the same summary.json")
	}
}

func TestQuietPrintsNothing(t *testing.T) {
	stdout, stderr, code := runSim(t, "--scenario", "steady", "--days", "0.1", "--out", t.TempDir(), "--quiet")
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and nothing printed", code, stdout, stderr)
	}
}

func TestPoliciesFlag(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runSim(t, "--policies", "oracle", "--scenario", "flash-crowd", "--out", dir, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if strings.Contains(string(b), "threshold") || !strings.Contains(string(b), `"oracle"`) {
		t.Errorf("summary.json for --policies oracle:\n%s", b)
	}
}

func TestBadFlagsExitTwoWithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--days", "-1"},
		{"--days", "abc"},
		{"--step", "0s"},
		{"--step", "ten"},
		{"--policies", "threshold,magic"},
		{"--policies", "oracle,oracle"},
		{"--scenario", "nope"},
		{"--seed", "-3"},
		{"--no-such-flag"},
		{"extra-arg"},
		{"--out", ""},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stdout, stderr, code := runSim(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, "sim: ") {
				t.Errorf("stderr %q: want one line starting with \"sim: \"", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	stdout, _, code := runSim(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range []string{"--scenario", "--days", "--step", "--seed", "--policies", "--out", "--quiet", "web-diurnal", "oracle"} {
		if !strings.Contains(stdout, f) {
			t.Errorf("--help lacks %q", f)
		}
	}
}
