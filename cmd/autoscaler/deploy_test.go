package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/live"
	"github.com/omnixan/omnixan/policy"
)

// manifests returns the documents of a deploy/ file, decoded strictly into
// the type their kind names.
func manifests(t *testing.T, name string) []any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for i, doc := range strings.Split(string(data), "\n---\n") {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%s document %d: %v", name, i+1, err)
		}
		var obj any
		switch meta.Kind {
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "Role":
			obj = &rbacv1.Role{}
		case "RoleBinding":
			obj = &rbacv1.RoleBinding{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		default:
			t.Fatalf("%s document %d: unexpected kind %q", name, i+1, meta.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s document %d (%s): %v", name, i+1, meta.Kind, err)
		}
		out = append(out, obj)
	}
	return out
}

// TestDeployManifests checks that deploy/ decodes into the Kubernetes
// types without unknown fields, that the RBAC grants only what docs/live.md
// says, and that the ConfigMap's configuration and policy load.
func TestDeployManifests(t *testing.T) {
	for _, obj := range manifests(t, "rbac.yaml") {
		role, ok := obj.(*rbacv1.Role)
		if !ok {
			continue
		}
		got, _ := json.Marshal(role.Rules)
		want := `[{"verbs":["get","update","patch"],"apiGroups":["apps"],"resources":["deployments/scale","statefulsets/scale"]},{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments","statefulsets"]}]`
		if string(got) != want {
			t.Errorf("Role rules:\n got %s\nwant %s", got, want)
		}
	}
	for _, obj := range manifests(t, "autoscaler.yaml") {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		dir := t.TempDir()
		for k, v := range cm.Data {
			os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644)
		}
		// The file names /etc/omnixan/policy.yaml; read it from here.
		o := defaultOptions()
		fs := pflag.NewFlagSet("autoscaler", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := o.Load(fs, []string{"--config", filepath.Join(dir, "config.yaml"), "--policy-file", filepath.Join(dir, "policy.yaml")}, nil); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := o.policy(); err != nil {
			t.Fatal(err)
		}
		if _, err := policy.ParseFile("policy.yaml", []byte(cm.Data["policy.yaml"]), policy.Env{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRBAC runs the autoscaler as the ServiceAccount of deploy/rbac.yaml,
// with a token from the TokenRequest API: the Role must be enough to scale.
func TestRBAC(t *testing.T) {
	cs := kubeClient(t)
	ns := createDeployment(t, cs)
	ctx := context.Background()
	for _, obj := range manifests(t, "rbac.yaml") {
		var err error
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			o.Subjects[0].Namespace = ns
			_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "omnixan-autoscaler", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := live.RESTConfig(os.Getenv("KUBECONFIG"), "")
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: sa, user: {token: %q}}]
contexts: [{name: sa, context: {cluster: c, user: sa, namespace: %s}}]
current-context: sa
`, admin.Host, admin.TLSClientConfig.CAFile, tok.Status.Token, ns)), 0o600)

	// The ServiceAccount may not list pods: the token is not an admin's.
	saCfg, _, _ := live.RESTConfig(kc, "")
	sa, _ := kubernetes.NewForConfig(saCfg)
	if _, err := sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		t.Error("the ServiceAccount can list pods; the Role grants too much")
	}

	exp := startExporter(t, 45)
	prom := startPrometheus(t, exp.addr())
	pol := filepath.Join(t.TempDir(), "hpa.yaml")
	os.WriteFile(pol, []byte(hpaFile), 0o644)
	a := startAutoscaler(t, "--prometheus", prom, "--query", "omnixan_test_requests_per_second",
		"--target", "deployment/web", "--kubeconfig", kc, "--policy-file", pol, "--sync-period", "1s")
	waitFor(t, "5 replicas, scaled as the ServiceAccount", 60*time.Second, func() bool {
		s, _ := replicas(cs, ns)
		return s == 5
	})
	if strings.Contains(a.logs(), "forbidden") {
		t.Errorf("forbidden calls in the log")
	}
}

func ptr[T any](v T) *T { return &v }

// TestGrafanaDashboard checks that every metric the dashboard queries is
// one the autoscaler exports.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := live.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.DecisionLatency.Observe(0.001) // a histogram shows up once observed
	m.ScaleActions.WithLabelValues("up", "ok").Inc()
	m.ObservationFailures.WithLabelValues("cpu").Inc()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, mf := range mfs {
		known[mf.GetName()] = true
		known[mf.GetName()+"_bucket"] = true
	}
	name := regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, sm := range name.FindAllStringSubmatch(tg.Expr, -1) {
				n++
				if !known[sm[1]] {
					t.Errorf("panel %q queries %s, which the autoscaler does not export", p.Title, sm[1])
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d metric selectors found in the dashboard", n)
	}
}
