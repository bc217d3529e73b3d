package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/omnixan/omnixan/live"
	"github.com/omnixan/omnixan/traces"
)

// kubeClient connects to the control plane testenv/kube-up.sh started
// ($KUBECONFIG), or skips (fails under CI).
func kubeClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		need(t, "Kubernetes API server", fmt.Errorf("KUBECONFIG not set (testenv/kube-up.sh writes one)"))
	}
	cfg, _, err := live.RESTConfig(kc, "")
	need(t, "Kubernetes API server", err)
	cs, err := kubernetes.NewForConfig(cfg)
	need(t, "Kubernetes API server", err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = cs.CoreV1().Nodes().Get(ctx, "kwok-node-0", metav1.GetOptions{})
	need(t, "Kubernetes API server with the KWOK node", err)
	return cs
}

// createDeployment makes a namespace of its own and a one-replica
// Deployment "web" whose pods go to the KWOK node.
func createDeployment(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ctx := context.Background()
	ns := fmt.Sprintf("omnixan-e2e-%d", time.Now().UnixNano()%1e9)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	one := int32(1)
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"type": "kwok"},
					Containers:   []corev1.Container{{Name: "web", Image: "omnixan.test/web:fake"}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// replicas returns the Deployment's spec.replicas and the Running pods of
// the namespace on the KWOK node (-1, -1 when the server does not answer).
func replicas(cs kubernetes.Interface, ns string) (spec, running int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return -1, -1
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=kwok-node-0,status.phase=Running"})
	if err != nil {
		return -1, -1
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			running++
		}
	}
	return int(*d.Spec.Replicas), running
}

// hpaFile is the policy the integration tests run: the HPA on the request
// rate per ready pod, 10 req/s each, with a short scale-down window.
const hpaFile = `policy: hpa
params:
  min_replicas: 1
  max_replicas: 10
  metrics:
    - {type: Pods, name: requests_per_second, average_value: 10}
  downscale_stabilization: 3s
`

// TestKubernetes drives a real Deployment through the real API server from
// a real Prometheus: scale up on load, ride out an API server outage with
// the breaker (the pending scale lands once it is back), scale down, and
// leave a recording that survives kill -9 and that replay reads.
func TestKubernetes(t *testing.T) {
	cs := kubeClient(t)
	state := os.Getenv("KUBE_STATE_DIR")
	if state == "" {
		need(t, "kube-up.sh state folder", fmt.Errorf("KUBE_STATE_DIR not set"))
	}
	ns := createDeployment(t, cs)
	exp := startExporter(t, 5)
	prom := startPrometheus(t, exp.addr())
	dir := t.TempDir()
	pol := filepath.Join(dir, "hpa.yaml")
	os.WriteFile(pol, []byte(hpaFile), 0o644)
	rec := filepath.Join(dir, "recording.csv")

	a := startAutoscaler(t,
		"--prometheus", prom, "--query", "sum(omnixan_test_requests_per_second)",
		"--target", "deployment/web", "--namespace", ns, "--kubeconfig", os.Getenv("KUBECONFIG"),
		"--policy-file", pol, "--sync-period", "1s", "--record", rec, "--record-fsync", "1s",
		"--breaker-failures", "3", "--breaker-open-timeout", "3s", "--kube-timeout", "3s",
		"--retry-max-attempts", "2")
	waitFor(t, "/readyz after the first observation", 30*time.Second, func() bool { return a.status("/readyz") == 200 })

	// Load 45 req/s at 10 per pod: 5 replicas, all Running on the KWOK node.
	exp.set(45)
	waitFor(t, "5 replicas, 5 Running pods", 60*time.Second, func() bool {
		s, r := replicas(cs, ns)
		return s == 5 && r == 5
	})
	if v := a.metric("instance_count"); v != 5 {
		t.Errorf("instance_count %v, want 5", v)
	}

	// API server down: the scale to 8 fails, the breaker opens.
	apiserver := func(action string) {
		t.Helper()
		out, err := exec.Command(filepath.Join(repoRoot(t), "testenv", "kube-apiserver.sh"), state, action).CombinedOutput()
		if err != nil {
			t.Fatalf("kube-apiserver.sh %s: %v\n%s", action, err, out)
		}
	}
	apiserver("stop")
	stopped := true
	t.Cleanup(func() {
		if stopped {
			apiserver("start")
		}
	})
	exp.set(75)
	const open = `omnixan_autoscaler_breaker_state{breaker="orchestrator"}`
	waitFor(t, "the orchestrator breaker open", 60*time.Second, func() bool { return a.metric(open) == 1 })
	if v := a.metric("health_status"); v != 0 {
		t.Errorf("health_status %v with the breaker open, want 0", v)
	}
	if v := a.metric(`omnixan_autoscaler_breaker_trips_total{breaker="orchestrator"}`); !(v >= 1) {
		t.Errorf("breaker trips %v, want ≥ 1", v)
	}
	apiserver("start")
	stopped = false
	waitFor(t, "the breaker closed and 8 replicas", 90*time.Second, func() bool {
		s, _ := replicas(cs, ns)
		return a.metric(open) == 0 && s == 8
	})
	waitFor(t, "8 Running pods", 60*time.Second, func() bool { _, r := replicas(cs, ns); return r == 8 })

	// Load drops: back down to 2.
	exp.set(15)
	waitFor(t, "2 replicas, 2 Running pods", 60*time.Second, func() bool {
		s, r := replicas(cs, ns)
		return s == 2 && r == 2
	})

	// Every decision was logged with its inputs and reason.
	ds := a.decisions()
	if len(ds) < 10 {
		t.Fatalf("%d decisions logged", len(ds))
	}
	retries := 0
	for _, d := range ds {
		if d["retry"] == true {
			retries++
			continue
		}
		for _, k := range []string{"valid", "requests_per_second", "ready", "current", "proposed", "target", "reason", "scaled"} {
			if _, ok := d[k]; !ok {
				t.Fatalf("decision log line without %q: %v", k, d)
			}
		}
	}
	if retries == 0 {
		t.Error("no retry logged during the API server outage")
	}

	// kill -9 while recording, with a torn line as a crash mid-write would
	// leave it; replay reads everything before it.
	time.Sleep(1500 * time.Millisecond)
	a.stop(t, syscall.SIGKILL, 10*time.Second)
	f, err := os.OpenFile(rec, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(time.Now().UTC().Format(time.RFC3339Nano) + ",3")
	f.Close()
	rows, maxRate := scanRecording(t, rec)
	if rows < len(ds)-3 || maxRate != 75 {
		t.Errorf("recording: %d rows (%d decisions logged), max rate %v (want 75)", rows, len(ds), maxRate)
	}
	out := filepath.Join(dir, "replay")
	replay := exec.Command("go", "run", "./cmd/replay", "--trace", rec, "--capacity-per-instance", "10",
		"--step", "1s", "--policies", "hpa", "--out", out, "--quiet")
	replay.Dir = repoRoot(t)
	if b, err := replay.CombinedOutput(); err != nil {
		t.Fatalf("replay --trace of the recording: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
		t.Errorf("replay wrote no summary: %v", err)
	}
}

// scanRecording reads a recording as replay does and returns its rows and
// the largest request rate.
func scanRecording(t *testing.T, path string) (int, float64) {
	t.Helper()
	r, err := traces.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.HasPrefix(strings.Join(r.Columns(), ","), "requests_per_second,") {
		t.Errorf("recording columns %v", r.Columns())
	}
	var row traces.Row
	n, top := 0, math.Inf(-1)
	for {
		err := r.Next(&row)
		if err == io.EOF {
			return n, top
		}
		if err != nil {
			t.Fatalf("reading the recording: %v", err)
		}
		n++
		top = math.Max(top, row.Values[0])
	}
}

// TestDryRun checks that --dry-run decides, sends the update with
// dryRun=All (so RBAC and validation are exercised) and changes nothing.
func TestDryRun(t *testing.T) {
	cs := kubeClient(t)
	ns := createDeployment(t, cs)
	exp := startExporter(t, 45)
	prom := startPrometheus(t, exp.addr())
	pol := filepath.Join(t.TempDir(), "hpa.yaml")
	os.WriteFile(pol, []byte(hpaFile), 0o644)
	a := startAutoscaler(t, "--prometheus", prom, "--query", "omnixan_test_requests_per_second",
		"--target", "deployment/web", "--namespace", ns, "--policy-file", pol, "--sync-period", "1s", "--dry-run")
	waitFor(t, "three dry-run scale decisions", 60*time.Second, func() bool {
		n := 0
		for _, d := range a.decisions() {
			if d["scaled"] == true && d["err"] == nil {
				n++
			}
		}
		return n >= 3
	})
	if s, _ := replicas(cs, ns); s != 1 {
		t.Errorf("%d replicas after a dry run, want 1", s)
	}
	// SIGTERM: exit 0, promptly, saying so.
	if code := a.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	if !strings.Contains(a.logs(), `"msg":"stopped"`) {
		t.Error(`no "stopped" in the log`)
	}
}

// TestStatefulSet scales a StatefulSet through its scale subresource.
func TestStatefulSet(t *testing.T) {
	cs := kubeClient(t)
	ns := createDeployment(t, cs)
	one := int32(1)
	labels := map[string]string{"app": "db"}
	_, err := cs.AppsV1().StatefulSets(ns).Create(context.Background(), &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{NodeSelector: map[string]string{"type": "kwok"},
					Containers: []corev1.Container{{Name: "db", Image: "omnixan.test/db:fake"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exp := startExporter(t, 35)
	prom := startPrometheus(t, exp.addr())
	pol := filepath.Join(t.TempDir(), "hpa.yaml")
	os.WriteFile(pol, []byte(hpaFile), 0o644)
	startAutoscaler(t, "--prometheus", prom, "--query", "omnixan_test_requests_per_second",
		"--target", "statefulset/db", "--namespace", ns, "--policy-file", pol, "--sync-period", "1s")
	waitFor(t, "4 StatefulSet replicas, 4 ready", 60*time.Second, func() bool {
		s, err := cs.AppsV1().StatefulSets(ns).Get(context.Background(), "db", metav1.GetOptions{})
		return err == nil && *s.Spec.Replicas == 4 && s.Status.ReadyReplicas == 4
	})
}
