package live

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/omnixan/omnixan/autoscaler"
)

// fakeScale serves the scale subresource of one deployment from memory,
// with injectable failures.
type fakeScale struct {
	mu        sync.Mutex
	replicas  int32
	conflicts int   // updates to refuse with 409 first
	getErr    error // every get fails with it
	updates   int
	dryRuns   int
}

func (f *fakeScale) client() *fake.Clientset {
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Status:     appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 2},
	})
	cs.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.getErr != nil {
			return true, nil, f.getErr
		}
		return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: autoscalingv1.ScaleSpec{Replicas: f.replicas}}, nil
	})
	cs.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.conflicts > 0 {
			f.conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("modified"))
		}
		s := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		if len(a.(k8stesting.UpdateActionImpl).UpdateOptions.DryRun) > 0 {
			f.dryRuns++
			return true, s, nil
		}
		f.updates++
		f.replicas = s.Spec.Replicas
		return true, s, nil
	})
	return cs
}

func TestKube(t *testing.T) {
	f := &fakeScale{replicas: 3, conflicts: 2}
	k, err := NewKubeForClient(KubeOptions{Kind: KindDeployment, Name: "web"}, f.client())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := k.Current(now); n != 3 || err != nil {
		t.Fatalf("Current = %d, %v", n, err)
	}
	if err := k.Scale(now, 5); err != nil {
		t.Fatalf("Scale through two conflicts: %v", err)
	}
	if f.replicas != 5 || f.updates != 1 {
		t.Errorf("replicas %d after %d updates, want 5 after 1", f.replicas, f.updates)
	}
	if st, err := k.Status(now); err != nil || st != (Status{Ready: 2, Starting: 1}) {
		t.Errorf("Status = %+v, %v", st, err)
	}

	// Unreachable: Current falls back to the last known count, Scale fails
	// transiently (so the breaker sees it).
	f.getErr = errors.New("dial tcp 127.0.0.1:1: connection refused")
	if n, err := k.Current(now); n != 5 || err != nil {
		t.Errorf("Current while unreachable = %d, %v; want the last known 5", n, err)
	}
	if err := k.Scale(now, 6); !autoscaler.IsTransient(err) {
		t.Errorf("Scale while unreachable: %v, want a transient error", err)
	}
	// Forbidden is not worth retrying.
	f.getErr = apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments/scale"}, "web", errors.New("rbac"))
	if err := k.Scale(now, 6); err == nil || autoscaler.IsTransient(err) {
		t.Errorf("Scale when forbidden: %v, want a permanent error", err)
	}
	if _, err := k.Current(now); err == nil {
		t.Error("Current when forbidden: no error")
	}

	// Dry run: the update is sent with dryRun=All and changes nothing.
	f.getErr = nil
	d, _ := NewKubeForClient(KubeOptions{Kind: KindDeployment, Name: "web", DryRun: true}, f.client())
	if err := d.Scale(now, 9); err != nil || f.replicas != 5 || f.dryRuns != 1 {
		t.Errorf("dry run: err %v, replicas %d, dry runs %d", err, f.replicas, f.dryRuns)
	}

	if _, err := NewKubeForClient(KubeOptions{Kind: "pod", Name: "x"}, f.client()); err == nil {
		t.Error("kind pod accepted")
	}
}

func TestRESTConfigContext(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://127.0.0.1:1111"}}
- {name: b, cluster: {server: "https://127.0.0.1:2222"}}
users: [{name: u, user: {token: t}}]
contexts:
- {name: ca, context: {cluster: a, user: u, namespace: shop}}
- {name: cb, context: {cluster: b, user: u}}
current-context: ca
`), 0o600)
	tests := []struct{ context, host, ns string }{
		{"", "https://127.0.0.1:1111", "shop"},
		{"cb", "https://127.0.0.1:2222", "default"},
	}
	for _, tt := range tests {
		cfg, ns, err := RESTConfig(kc, tt.context)
		if err != nil || cfg.Host != tt.host || ns != tt.ns {
			t.Errorf("context %q: host %q, namespace %q, %v; want %q, %q", tt.context, cfg.Host, ns, err, tt.host, tt.ns)
		}
	}
	if _, _, err := RESTConfig(kc, "nope"); err == nil {
		t.Error("an unknown context: no error")
	}
}
