package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/omnixan/omnixan/internal/cli"
)

func runSim(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = cli.ExitCode("sim", err, &errb)
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
			Breakdown      struct {
				Classical, Quantum float64
			} `json:"spend_breakdown_usd"`
			Total   *int     `json:"quantum_jobs_total"`
			Done    int      `json:"quantum_jobs_done"`
			Failed  int      `json:"quantum_jobs_failed"`
			Queued  int      `json:"quantum_jobs_queued"`
			Running int      `json:"quantum_jobs_running"`
			Over    int      `json:"quantum_jobs_over_slo"`
			WaitP95 *float64 `json:"quantum_wait_p95_seconds"`
		} `json:"policies"`
		Classical, Quantum bool
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Scenario != "mixed" || !sum.Classical || !sum.Quantum || sum.Seed != 1 || sum.StepSeconds != 10 || sum.Start != "2026-01-05T00:00:00Z" || sum.End != "2026-01-12T00:00:00Z" {
		t.Errorf("run header: %+v", sum)
	}
	if len(sum.Policies) != 2 || sum.Policies[0].Name != "threshold" || sum.Policies[1].Name != "oracle" {
		t.Fatalf("policies: %+v", sum.Policies)
	}
	thr, orc := sum.Policies[0], sum.Policies[1]
	for _, p := range sum.Policies {
		if p.Total == nil || p.WaitP95 == nil {
			t.Fatalf("%s: no quantum scores in summary.json", p.Name)
		}
		if *p.Total < 100 || *p.Total != p.Done+p.Failed+p.Queued+p.Running {
			t.Errorf("%s: %d quantum jobs, but done %d + failed %d + queued %d + running %d", p.Name, *p.Total, p.Done, p.Failed, p.Queued, p.Running)
		}
		if p.Breakdown.Classical <= 0 || p.Breakdown.Quantum <= 0 || math.Abs(p.Breakdown.Classical+p.Breakdown.Quantum-p.SpendUSD) > 1e-6*p.SpendUSD {
			t.Errorf("%s: spend %v, breakdown %+v", p.Name, p.SpendUSD, p.Breakdown)
		}
	}
	if *orc.WaitP95 > *thr.WaitP95 {
		t.Errorf("the oracle's p95 quantum wait %vs is above threshold's %vs", *orc.WaitP95, *thr.WaitP95)
	}
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
	for _, name := range []string{"demand-vs-capacity.png", "cumulative-spend.png", "slo-misses.png", "spend-vs-slo.png",
		"quantum-queue.png", "quantum-capacity.png", "spend-vs-wait.png"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(html), ">threshold</th>") || !strings.Contains(string(html), "data:image/png;base64,") {
		t.Errorf("report.html: %v", err)
	}
	pf, err := os.Open(filepath.Join(dir, "timeline.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	st, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * 7 * 24 * 360); file.NumRows() != want {
		t.Errorf("timeline.parquet has %d rows, want %d: a week of 10 s steps for 2 policies", file.NumRows(), want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 11 {
		t.Errorf("%d files in --out, want 11 (no temporary files): %v", len(entries), entries)
	}
}

// A run interrupted part way leaves every file under --out as it was:
// the earlier run's complete files, no partial ones, no temporary ones.
func TestInterruptedRunLeavesNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runSim(t, "--days", "1", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := readDir(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the year-long run has begun writing its temporary files.
	go func() {
		for ctx.Err() == nil {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), ".") && info.Size() > 0 {
					cancel()
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	err := run(ctx, []string{"--days", "365", "--out", dir, "--quiet", "--policies", "threshold,predictive"}, &out, &errb)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(before, readDir(t, dir)); diff != "" {
		t.Errorf("files under --out changed (-before +after):\n%s", diff)
	}
}

// readDir returns the SHA-256 of every file in dir, by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return m
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
	// The other files too, although the policies run in parallel.
	d1, d2 := t.TempDir(), t.TempDir()
	for _, d := range []string{d1, d2} {
		if _, stderr, code := runSim(t, "--days", "1", "--policies", "threshold,predictive", "--out", d, "--quiet"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	if diff := cmp.Diff(readDir(t, d1), readDir(t, d2)); diff != "" {
		t.Errorf("same seed, different files (-first +second):\n%s", diff)
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
	if strings.Contains(string(b), "threshold") || strings.Count(string(b), `"oracle"`) != 1 {
		t.Errorf("summary.json for --policies oracle:\n%s", b)
	}
	// The oracle joins every run.
	if _, stderr, code := runSim(t, "--policies", "threshold", "--scenario", "flash-crowd", "--out", dir, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "summary.json"))
	if !strings.Contains(string(b), `"threshold"`) || !strings.Contains(string(b), `"oracle"`) {
		t.Errorf("summary.json for --policies threshold lacks the oracle:\n%s", b)
	}
}

func TestPolicyFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fast.yaml")
	os.WriteFile(file, []byte("policies:\n  - policy: threshold\n    name: threshold-fast\n    params: {cooldown: 60s, scale_up: 0.8, max: 30}\n"), 0o644)
	out := filepath.Join(dir, "out")
	if _, stderr, code := runSim(t, "--policies", "threshold", "--policy-file", file, "--scenario", "flash-crowd", "--out", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	var sum struct {
		Policies []struct {
			Name          string `json:"name"`
			PeakInstances int    `json:"peak_instances"`
		} `json:"policies"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range sum.Policies {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"threshold", "threshold-fast", "oracle"}, names); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("policy: threshold\nparams: {cooldwn: 60s}\n"), 0o644)
	_, stderr, code := runSim(t, "--policy-file", bad, "--out", out, "-q")
	if code != 2 || !strings.Contains(stderr, "bad.yaml") || !strings.Contains(stderr, `"cooldwn"`) {
		t.Errorf("misspelt key: exit %d, stderr %q; want 2 naming the file and the key", code, stderr)
	}
}

func TestListings(t *testing.T) {
	out, _, code := runSim(t, "policies")
	if code != 0 {
		t.Fatalf("sim policies: exit %d", code)
	}
	for _, want := range []string{"threshold", "oracle", "cooldown", "duration", "300s", "scale_up"} {
		if !strings.Contains(out, want) {
			t.Errorf("sim policies lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runSim(t, "scenarios")
	if code != 0 || !strings.Contains(out, "web-diurnal") || !strings.Contains(out, "flash-crowd") {
		t.Errorf("sim scenarios: exit %d\n%s", code, out)
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

func TestFaultFlags(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runSim(t, "--scenario", "flash-crowd", "--policies", "threshold", "--fault-error-rate", "0.2",
		"--fault-outage", "11h50m+30m", "--max-budget-usd-per-hour", "1.5", "--out", dir, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	var sum struct {
		Policies []struct {
			Name          string  `json:"name"`
			BreakerOpen   float64 `json:"breaker_open_minutes"`
			Retries       int     `json:"retries"`
			FailedActions int     `json:"failed_actions"`
			Peak          int     `json:"peak_instances"`
		} `json:"policies"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	for _, p := range sum.Policies {
		if p.Retries == 0 || p.FailedActions == 0 {
			t.Errorf("%s: %d retries, %d failed actions; want the faults to show", p.Name, p.Retries, p.FailedActions)
		}
		// The oracle acts at almost every sync, so the breaker stays open
		// through the outage; the threshold policy acts too seldom to keep it open.
		if p.Name == "oracle" && p.BreakerOpen < 20 {
			t.Errorf("oracle: breaker open %v min during a 30-minute outage", p.BreakerOpen)
		}
		if p.Peak > 15 { // 1.5 USD/h at 0.10 USD per instance-hour
			t.Errorf("%s: peak %d instances above the budget's 15", p.Name, p.Peak)
		}
	}
	for _, bad := range [][]string{{"--fault-outage", "2h"}, {"--fault-error-rate", "2"}, {"--max-budget-usd-per-hour", "-1"}} {
		if _, _, code := runSim(t, append(bad, "--out", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestAntiFlapSparesTheOracle(t *testing.T) {
	read := func(args ...string) map[string]float64 {
		dir := t.TempDir()
		if _, stderr, code := runSim(t, append(args, "--scenario", "flash-crowd", "--policies", "hpa", "--out", dir, "-q")...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
		var sum struct {
			Policies []struct {
				Name  string  `json:"name"`
				Spend float64 `json:"spend_usd"`
			} `json:"policies"`
		}
		json.Unmarshal(b, &sum)
		out := map[string]float64{}
		for _, p := range sum.Policies {
			out[p.Name] = p.Spend
		}
		return out
	}
	plain, flap := read(), read("--anti-flap", "0.5")
	if plain["oracle"] != flap["oracle"] {
		t.Errorf("anti-flapping changed the oracle's spend: %v → %v", plain["oracle"], flap["oracle"])
	}
	if flap["hpa"] < plain["hpa"] {
		t.Errorf("anti-flapping at 0.5 lowered the HPA's spend: %v → %v", plain["hpa"], flap["hpa"])
	}
	if _, _, code := runSim(t, "--anti-flap", "1.5"); code != 2 {
		t.Errorf("--anti-flap 1.5: exit %d, want 2", code)
	}
}

// A scenario file sets the scenario, its seed and its policies; --policies
// and --seed on the command line win over the file's.
func TestScenarioFile(t *testing.T) {
	const file = "../../docs/examples/scenario-mixed.yaml"
	type summary struct {
		Scenario           string `json:"scenario"`
		Seed               uint64 `json:"seed"`
		Classical, Quantum bool
		Policies           []struct {
			Name    string   `json:"name"`
			Total   *int     `json:"quantum_jobs_total"`
			WaitP95 *float64 `json:"quantum_wait_p95_seconds"`
		} `json:"policies"`
	}
	read := func(args ...string) (summary, []string) {
		t.Helper()
		dir := t.TempDir()
		if _, stderr, code := runSim(t, append([]string{"--scenario", file, "--days", "0.25", "--out", dir, "-q"}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var sum summary
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range sum.Policies {
			names = append(names, p.Name)
		}
		return sum, names
	}

	sum, names := read()
	if sum.Scenario != "shop-and-lab" || sum.Seed != 7 || !sum.Classical || !sum.Quantum {
		t.Errorf("run header: scenario %q, seed %d, classical %v, quantum %v; want shop-and-lab, the file's seed 7, both sides",
			sum.Scenario, sum.Seed, sum.Classical, sum.Quantum)
	}
	if diff := cmp.Diff([]string{"threshold", "target-tracking", "predictive", "oracle"}, names); diff != "" {
		t.Errorf("policies, want the file's and the oracle (-want +got):\n%s", diff)
	}
	for _, p := range sum.Policies {
		if p.Total == nil || p.WaitP95 == nil || *p.Total == 0 {
			t.Errorf("%s: no quantum scores in summary.json", p.Name)
		}
	}

	sum, names = read("--policies", "threshold", "--seed", "3")
	if sum.Scenario != "shop-and-lab" || sum.Seed != 3 {
		t.Errorf("with --seed 3: scenario %q, seed %d; want the flag's seed", sum.Scenario, sum.Seed)
	}
	if diff := cmp.Diff([]string{"threshold", "oracle"}, names); diff != "" {
		t.Errorf("with --policies threshold (-want +got):\n%s", diff)
	}
}

// A scenario file's policy_files resolve against its directory and join its
// policies; --policies replaces both.
func TestScenarioFilePolicyFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fast.yaml"), []byte("policy: threshold\nname: threshold-fast\nparams: {cooldown: 60s}\n"), 0o644)
	file := filepath.Join(dir, "s.yaml")
	os.WriteFile(file, []byte("days: 0.05\nload: {base: 200}\npolicies: [threshold]\npolicy_files: [fast.yaml]\n"), 0o644)
	names := func(args ...string) []string {
		t.Helper()
		out := t.TempDir()
		if _, stderr, code := runSim(t, append([]string{"--scenario", file, "--out", out, "-q"}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
		var sum struct {
			Policies []struct {
				Name string `json:"name"`
			} `json:"policies"`
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, p := range sum.Policies {
			n = append(n, p.Name)
		}
		return n
	}
	if diff := cmp.Diff([]string{"threshold", "threshold-fast", "oracle"}, names()); diff != "" {
		t.Errorf("the file's policies and policy files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"step", "oracle"}, names("--policies", "step")); diff != "" {
		t.Errorf("--policies step replaces them (-want +got):\n%s", diff)
	}
}

func TestBadScenarioFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ file, key string }{
		{"load: {base: 400, daily_amplitude: 1.5}\n", "load.daily_amplitude"},
		{"load: {base: 400, bsae: 1}\n", `"load.bsae"`},
		{"quantum:\n  jobs: {rate_per_hour: 1}\n  simulators: {min: -1}\n", "quantum.simulators.min"},
	} {
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte(c.file), 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runSim(t, "--scenario", bad, "--out", filepath.Join(dir, "out"))
		if code != 2 || !strings.HasPrefix(stderr, "sim: --scenario "+bad+": ") || !strings.Contains(stderr, c.key) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and one line naming the file and %s", c.file, code, stdout, stderr, c.key)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a bad scenario file created --out: %v", err)
	}
	if _, stderr, code := runSim(t, "--scenario", filepath.Join(dir, "missing.yaml")); code != 2 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q; want 2 naming it", code, stderr)
	}
}
