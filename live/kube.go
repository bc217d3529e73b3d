package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/omnixan/omnixan/autoscaler"
)

// Kinds of workload Kube scales.
const (
	KindDeployment  = "deployment"
	KindStatefulSet = "statefulset"
)

// KubeOptions select a Kubernetes workload and how to reach the API server.
type KubeOptions struct {
	Kind      string // KindDeployment or KindStatefulSet
	Name      string
	Namespace string // [the kubeconfig context's namespace, else "default"]
	// Kubeconfig is the kubeconfig file; empty means $KUBECONFIG or
	// ~/.kube/config, or the in-cluster configuration when the process runs
	// in a Pod and neither exists.
	Kubeconfig string
	Context    string        // kubeconfig context [the current one]
	Timeout    time.Duration // per API request [10 s]
	// DryRun sends updates with dryRun=All: the API server validates and
	// authorizes them, and persists nothing.
	DryRun bool
}

// Kube is the Kubernetes orchestrator: it reads and sets the replicas of a
// Deployment or StatefulSet through its scale subresource (the calls the
// HPA makes), so it needs only get/update on deployments/scale or
// statefulsets/scale, and get on the workload for Status.
//
// Update conflicts (HTTP 409, the controller wrote the object meanwhile) are
// retried at once with a fresh read; timeouts, throttling, 5xx answers and
// unreachable servers are marked autoscaler.Transient, so the loop retries
// them with backoff behind its breaker. When the server cannot be reached,
// Current returns the last count it read or set, so that the loop still
// decides and its Scale call — which goes through the breaker — notices the
// outage. Kube is safe for concurrent use.
type Kube struct {
	opts   KubeOptions
	client kubernetes.Interface

	mu    sync.Mutex
	known bool // cur holds a count read from or written to the server
	cur   int
}

var (
	_ autoscaler.Orchestrator = (*Kube)(nil)
	_ StatusReader            = (*Kube)(nil)
)

// RESTConfig returns the client configuration for kubeconfig and context,
// following kubectl's rules, or the in-cluster configuration, and the
// namespace the context names ("default" when none).
func RESTConfig(kubeconfig, context string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		if kubeconfig == "" && context == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
			cfg, err := rest.InClusterConfig()
			if err != nil {
				return nil, "", err
			}
			ns, _ := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
			if len(ns) == 0 {
				ns = []byte("default")
			}
			return cfg, string(ns), nil
		}
		return nil, "", err
	}
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	return cfg, ns, nil
}

// NewKube connects to the API server as opts says. It does not contact the
// server: the first Current or Status does.
func NewKube(opts KubeOptions) (*Kube, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	cfg, ns, err := RESTConfig(opts.Kubeconfig, opts.Context)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration: %w", err)
	}
	if opts.Namespace == "" {
		opts.Namespace = ns
	}
	cfg.Timeout = opts.Timeout
	cfg.UserAgent = "omnixan-autoscaler"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return NewKubeForClient(opts, cs)
}

// NewKubeForClient returns a Kube that talks through client (a fake
// clientset in tests).
func NewKubeForClient(opts KubeOptions, client kubernetes.Interface) (*Kube, error) {
	if opts.Kind != KindDeployment && opts.Kind != KindStatefulSet {
		return nil, fmt.Errorf("kubernetes workload kind %q: want %s or %s", opts.Kind, KindDeployment, KindStatefulSet)
	}
	if opts.Name == "" {
		return nil, errors.New("kubernetes workload: empty name")
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Kube{opts: opts, client: client}, nil
}

// String names the workload: "deployment/web in default".
func (k *Kube) String() string {
	return fmt.Sprintf("%s/%s in %s", k.opts.Kind, k.opts.Name, k.opts.Namespace)
}

type scaler interface {
	GetScale(ctx context.Context, name string, opts metav1.GetOptions) (*autoscalingv1.Scale, error)
	UpdateScale(ctx context.Context, name string, scale *autoscalingv1.Scale, opts metav1.UpdateOptions) (*autoscalingv1.Scale, error)
}

func (k *Kube) scaler() scaler {
	if k.opts.Kind == KindStatefulSet {
		return k.client.AppsV1().StatefulSets(k.opts.Namespace)
	}
	return k.client.AppsV1().Deployments(k.opts.Namespace)
}

// Current returns spec.replicas of the scale subresource, or the last known
// count when the server cannot be reached (see Kube).
func (k *Kube) Current(now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), k.opts.Timeout)
	defer cancel()
	s, err := k.scaler().GetScale(ctx, k.opts.Name, metav1.GetOptions{})
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		err = k.wrap("get scale", err)
		if k.known && autoscaler.IsTransient(err) {
			return k.cur, nil
		}
		return 0, err
	}
	k.known, k.cur = true, int(s.Spec.Replicas)
	return k.cur, nil
}

// Scale sets spec.replicas through the scale subresource, retrying update
// conflicts with a fresh read.
func (k *Kube) Scale(now time.Time, target int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*k.opts.Timeout)
	defer cancel()
	sc := k.scaler()
	var opts metav1.UpdateOptions
	if k.opts.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := sc.GetScale(ctx, k.opts.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Replicas = int32(target)
		_, err = sc.UpdateScale(ctx, k.opts.Name, s, opts)
		return err
	})
	if err != nil {
		return k.wrap(fmt.Sprintf("scale to %d", target), err)
	}
	if !k.opts.DryRun {
		k.mu.Lock()
		k.known, k.cur = true, target
		k.mu.Unlock()
	}
	return nil
}

// Status reads the workload's ready replicas; Starting is the rest of its
// status.replicas.
func (k *Kube) Status(now time.Time) (Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), k.opts.Timeout)
	defer cancel()
	var total, ready int32
	switch k.opts.Kind {
	case KindStatefulSet:
		s, err := k.client.AppsV1().StatefulSets(k.opts.Namespace).Get(ctx, k.opts.Name, metav1.GetOptions{})
		if err != nil {
			return Status{}, k.wrap("get", err)
		}
		total, ready = s.Status.Replicas, s.Status.ReadyReplicas
	default:
		d, err := k.client.AppsV1().Deployments(k.opts.Namespace).Get(ctx, k.opts.Name, metav1.GetOptions{})
		if err != nil {
			return Status{}, k.wrap("get", err)
		}
		total, ready = d.Status.Replicas, d.Status.ReadyReplicas
	}
	return Status{Ready: int(ready), Starting: max(int(total-ready), 0)}, nil
}

// wrap names the call and the workload and marks errors worth retrying.
func (k *Kube) wrap(op string, err error) error {
	err = fmt.Errorf("%s %s: %w", op, k, err)
	if kubeTransient(err) {
		return autoscaler.Transient(err)
	}
	return err
}

// kubeTransient reports whether err is worth retrying: no answer from the
// server, or an answer that says "later".
func kubeTransient(err error) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return true // the request did not get an answer: network, TLS, deadline
	}
	return apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}
