package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/live"
)

// pidsListening returns the PIDs of the processes whose command line holds
// "http.server" and port, from /proc.
func pidsListening(port int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
		if slices.Contains(args, "http.server") && slices.Contains(args, strconv.Itoa(port)) {
			out = append(out, pid)
		}
	}
	return out
}

// freePorts returns a base port with n free ports from it.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := base+n < 65536
		for i := 1; ok && i < n; i++ {
			if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i)); err != nil {
				ok = false
			} else {
				l.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no run of free ports")
	return 0
}

// TestProcessesBehindHAProxy runs the process orchestrator for real: python
// web servers started, restarted when killed, and stopped, with HAProxy's
// backend following them, and a SIGTERM that stops everything and exits 0.
func TestProcessesBehindHAProxy(t *testing.T) {
	sock := os.Getenv("HAPROXY_SOCK")
	if sock == "" {
		need(t, "HAProxy", fmt.Errorf("HAPROXY_SOCK not set (testenv/haproxy-up.sh)"))
	}
	backend := cmp.Or(os.Getenv("HAPROXY_BACKEND"), "workload")
	lb, err := live.NewHAProxy(sock, backend)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = lb.Backends(ctx)
	need(t, "HAProxy runtime API", err)

	exp := startExporter(t, 5)
	prom := startPrometheus(t, exp.addr())
	dir := t.TempDir()
	pol := filepath.Join(dir, "hpa.yaml")
	os.WriteFile(pol, []byte(hpaFile), 0o644)
	base := freePorts(t, 4)
	name := fmt.Sprintf("e2e%d", os.Getpid())
	ours := func() []autoscaler.Backend {
		all, err := lb.Backends(ctx)
		if err != nil {
			return nil
		}
		return slices.DeleteFunc(all, func(b autoscaler.Backend) bool { return !strings.HasPrefix(b.Name, name+"-") })
	}
	want := func(n int) []autoscaler.Backend {
		var out []autoscaler.Backend
		for i := range n {
			out = append(out, autoscaler.Backend{Name: fmt.Sprintf("%s-%d", name, i), Addr: fmt.Sprintf("127.0.0.1:%d", base+i)})
		}
		return out
	}
	t.Cleanup(func() {
		for _, b := range ours() {
			lb.Deregister(ctx, b.Name)
		}
	})

	a := startAutoscaler(t,
		"--prometheus", prom, "--query", "omnixan_test_requests_per_second",
		"--target", "process:python3 -m http.server {port} --bind 127.0.0.1 --directory "+dir,
		"--process-base-port", strconv.Itoa(base), "--process-name", name, "--process-grace", "3s",
		"--haproxy", sock, "--haproxy-backend", backend,
		"--policy-file", pol, "--sync-period", "1s", "--log-format", "json")
	waitFor(t, "one instance in the backend", 30*time.Second, func() bool { return slices.Equal(ours(), want(1)) })

	exp.set(25)
	waitFor(t, "three instances in the backend", 30*time.Second, func() bool { return slices.Equal(ours(), want(3)) })
	if u := os.Getenv("HAPROXY_URL"); u != "" {
		resp, err := http.Get(u + "/")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET through HAProxy: %v %v", resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}

	// Kill one: it comes back, with a new PID, on its port, in the backend.
	old := pidsListening(base + 1)
	if len(old) != 1 {
		t.Fatalf("processes on port %d: %v", base+1, old)
	}
	syscall.Kill(old[0], syscall.SIGKILL)
	waitFor(t, "the killed instance restarted", 30*time.Second, func() bool {
		now := pidsListening(base + 1)
		st, _ := lb.ServerStates(ctx)
		return len(now) == 1 && now[0] != old[0] && st[name+"-1"][1] == 0 && slices.Equal(ours(), want(3))
	})
	if !strings.Contains(a.logs(), `"msg":"instance died"`) {
		t.Error("no \"instance died\" in the log")
	}

	// The exporter fails: no data, so no scale-in although the load it
	// would show has dropped; /metrics says the autoscaler is unhealthy.
	exp.set(5)
	exp.down.Store(true)
	invalid := func() int {
		n := 0
		for _, d := range a.decisions() {
			if d["valid"] == false {
				n++
			}
		}
		return n
	}
	before := invalid() // the first passes may have had no data yet
	waitFor(t, "three passes without data", 30*time.Second, func() bool { return invalid() >= before+3 })
	if got := ours(); !slices.Equal(got, want(3)) {
		t.Errorf("scaled in without data: backend %v", got)
	}
	if v := a.metric("health_status"); v != 0 {
		t.Errorf("health_status %v without data, want 0", v)
	}
	if v := a.metric(`omnixan_autoscaler_observation_failures_total{metric="requests_per_second"}`); !(v >= 3) {
		t.Errorf("request-rate failures %v, want ≥ 3", v)
	}

	// Data again, and the load has dropped: the surplus is drained,
	// stopped and removed.
	exp.down.Store(false)
	waitFor(t, "back to one instance", 30*time.Second, func() bool {
		return slices.Equal(ours(), want(1)) && len(pidsListening(base+1)) == 0 && len(pidsListening(base+2)) == 0
	})

	// SIGTERM: the last instance is stopped and removed, exit status 0.
	start := time.Now()
	if code := a.stop(t, syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if p := pidsListening(base); len(p) != 0 {
		t.Errorf("instance 0 still running after the autoscaler stopped: %v", p)
	}
	if got := ours(); len(got) != 0 {
		t.Errorf("backend still holds %v", got)
	}
	if !strings.Contains(a.logs(), `"msg":"stopped"`) {
		t.Error(`no "stopped" in the log`)
	}
}
