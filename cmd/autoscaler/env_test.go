package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/omnixan/omnixan/internal/cli"
)

// The integration tests run the autoscaler as a separate process: the test
// binary itself, re-executed with this variable set, runs main.
const reexecEnv = "OMNIXAN_TEST_RUN_AUTOSCALER"

func TestMain(m *testing.M) {
	if os.Getenv(reexecEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// need skips the test when a server it needs is absent, or fails it under
// CI, where .ci/run provides every server.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s unavailable under CI: %v (.ci/run starts it)", what, err)
	}
	t.Skipf("%s unavailable (%v): see docs/live.md to run this integration test", what, err)
}

// exporter is a test exporter whose gauge the test sets: Prometheus
// scrapes omnixan_test_requests_per_second from it.
type exporter struct {
	srv  *httptest.Server
	bits atomic.Uint64
	down atomic.Bool // answer 503: Prometheus marks the series stale
}

func startExporter(t *testing.T, v float64) *exporter {
	e := &exporter{}
	e.set(v)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP omnixan_test_requests_per_second Test load.\n# TYPE omnixan_test_requests_per_second gauge\nomnixan_test_requests_per_second %g\n", e.get())
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *exporter) set(v float64) { e.bits.Store(math.Float64bits(v)) }
func (e *exporter) get() float64  { return math.Float64frombits(e.bits.Load()) }
func (e *exporter) addr() string  { return strings.TrimPrefix(e.srv.URL, "http://") }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPrometheus runs a real Prometheus on a free 127.0.0.1 port that
// scrapes target every second, until the test ends. The binary is
// $PROMETHEUS_BIN or prometheus on $PATH (Debian's package).
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := os.Getenv("PROMETHEUS_BIN")
	if bin == "" {
		bin = "prometheus"
	}
	path, err := exec.LookPath(bin)
	need(t, "Prometheus", err)
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: workload\n    static_configs:\n      - targets: ['%s']\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(path, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && testing.Verbose() {
			t.Logf("prometheus log:\n%s", log.String())
		}
	})
	base := "http://" + addr
	waitFor(t, "prometheus ready", 20*time.Second, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}

// waitFor polls ok every 200 ms until it holds, or fails the test.
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// autoscalerProc is the autoscaler running as a child process.
type autoscalerProc struct {
	cmd     *exec.Cmd
	metrics string // base URL of /metrics
	mu      sync.Mutex
	log     bytes.Buffer
	done    chan struct{}
	err     error
}

func (a *autoscalerProc) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.Write(p)
}

func (a *autoscalerProc) logs() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

// startAutoscaler runs the autoscaler with args plus --metrics-addr, and
// waits until it serves /healthz. It is killed when the test ends.
func startAutoscaler(t *testing.T, args ...string) *autoscalerProc {
	t.Helper()
	addr := freeAddr(t)
	a := &autoscalerProc{metrics: "http://" + addr, done: make(chan struct{})}
	a.cmd = exec.Command(os.Args[0], append(args, "--metrics-addr", addr)...)
	a.cmd.Env = append(os.Environ(), reexecEnv+"=1")
	a.cmd.Stdout, a.cmd.Stderr = a, a
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.cmd.Process.Kill()
		<-a.done
		if t.Failed() {
			lines := strings.Split(a.logs(), "\n")
			t.Logf("autoscaler log, last 60 lines:\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	waitFor(t, "autoscaler /healthz", 20*time.Second, func() bool {
		select {
		case <-a.done:
			t.Fatalf("autoscaler exited: %v\n%s", a.err, a.logs())
		default:
		}
		resp, err := http.Get(a.metrics + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return a
}

// status returns the HTTP status of path.
func (a *autoscalerProc) status(path string) int {
	resp, err := http.Get(a.metrics + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// metric returns the value of the sample whose line starts with name
// (labels included, as exposed), or NaN.
func (a *autoscalerProc) metric(name string) float64 {
	resp, err := http.Get(a.metrics + "/metrics")
	if err != nil {
		return math.NaN()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return math.NaN()
}

// stop sends sig and waits up to d for the exit; it returns the exit code.
func (a *autoscalerProc) stop(t *testing.T, sig syscall.Signal, d time.Duration) int {
	t.Helper()
	a.cmd.Process.Signal(sig)
	select {
	case <-a.done:
	case <-time.After(d):
		t.Fatalf("autoscaler still running %v after %v", d, sig)
	}
	if a.cmd.ProcessState == nil {
		return -1
	}
	return a.cmd.ProcessState.ExitCode()
}

// decisions returns the logged decisions (JSON lines with msg "decision").
func (a *autoscalerProc) decisions() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(a.logs(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "decision" {
			out = append(out, m)
		}
	}
	return out
}

// runInProcess runs the command in this process, for the flag tests.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, args, &o, &e)
	code = cli.ExitCode("autoscaler", err, &e)
	return o.String(), e.String(), code
}

// repoRoot is the module's root folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
