package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnixan/omnixan/traces"
)

// startPrometheus runs a real Prometheus server on a free 127.0.0.1 port
// that scrapes target (host:port) every second, with a temporary config and
// storage folder, and stops it when the test ends. The binary is
// $PROMETHEUS_BIN or "prometheus" on $PATH (Debian: apt-get install -y
// prometheus; the service is not used). Without one the test is skipped,
// unless CI is set, where it fails.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := os.Getenv("PROMETHEUS_BIN")
	if bin == "" {
		bin = "prometheus"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Prometheus binary under CI (%v): .ci/run installs Debian's prometheus", err)
		}
		t.Skipf("no Prometheus binary (%v): apt-get install -y prometheus, or set PROMETHEUS_BIN, to run this integration test", err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: workload\n    static_configs:\n      - targets: ['%s']\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// A free port: taken from the kernel, then released for Prometheus.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var log bytes.Buffer
	cmd := exec.Command(path,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s not ready after 20s: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// samples returns how many samples Prometheus holds for the selector over
// the last minute.
func samples(t *testing.T, base, selector string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape("count_over_time("+selector+"[1m])"))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) == 0 {
		return 0
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	n, _ := strconv.Atoi(s)
	return n
}

// TestReplayLivePrometheus replays a series that a real Prometheus scraped
// from a test exporter: two series of one gauge, one picked by label, pulled
// in requests of 3 points so that the range is split.
func TestReplayLivePrometheus(t *testing.T) {
	var scrapes atomic.Int64
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := scrapes.Add(1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP omnixan_test_load Test load.\n# TYPE omnixan_test_load gauge\n")
		fmt.Fprintf(w, "omnixan_test_load{kind=\"a\"} 1\n")
		fmt.Fprintf(w, "omnixan_test_load{kind=\"b\"} %d\n", 40+10*(n%3))
	}))
	defer exporter.Close()
	begin := time.Now().Add(-time.Second)
	base := startPrometheus(t, strings.TrimPrefix(exporter.URL, "http://"))

	deadline := time.Now().Add(30 * time.Second)
	for samples(t, base, `omnixan_test_load{kind="b"}`) < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("prometheus scraped fewer than 8 samples in 30s (exporter saw %d scrapes)", scrapes.Load())
		}
		time.Sleep(250 * time.Millisecond)
	}

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := run(ctx, []string{
		"--prometheus", base, "--query", "omnixan_test_load", "--series-label", "kind=b",
		"--start", begin.UTC().Format(time.RFC3339Nano), "--end", "now", "--step", "1s", "--max-points", "3",
		"--policies", "threshold,target-tracking", "--out", dir,
	}, &out, &errb)
	if err != nil {
		t.Fatalf("replay: %v\nstderr:\n%s", err, errb.String())
	}
	t.Logf("stdout:\n%s", out.String())

	// The pulled trace: one point a second, every value one the exporter served.
	r, err := traces.Open(filepath.Join(dir, "prometheus-trace.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var row traces.Row
	var n int
	var prev time.Time
	for r.Next(&row) == nil {
		if v := row.Values[0]; v != 40 && v != 50 && v != 60 {
			t.Errorf("point %d: value %v, not one the exporter served", n+1, v)
		}
		if n > 0 && row.Time.Sub(prev) != time.Second {
			t.Errorf("point %d: %v after the previous one, want 1s", n+1, row.Time.Sub(prev))
		}
		prev = row.Time
		n++
	}
	if n < 5 {
		t.Errorf("pulled %d points, want ≥ 5", n)
	}

	s := readSummary(t, dir)
	if s.CapacitySource != "p99/20" || s.StepSeconds != 1 || !strings.Contains(s.Trace, "omnixan_test_load") {
		t.Errorf("summary: %+v", s)
	}
	if len(s.Policies) != 3 || s.Policies[2].Name != "oracle" || s.Policies[2].SLOMissMinutes != 0 {
		t.Errorf("policies: %+v", s.Policies)
	}

	// A query Prometheus cannot parse comes back with its message, exit 1.
	_, stderr, code := runReplay(t, "--prometheus", base, "--query", "rate(", "--start", "now-1m", "--end", "now", "--step", "1s", "--out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "parse error") {
		t.Errorf("bad PromQL: exit %d, stderr %q", code, stderr)
	}
}
