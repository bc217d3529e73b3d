package autoscaler

import "context"

// Backend is one instance behind a load balancer: a name unique in its pool
// and the address traffic goes to.
type Backend struct {
	Name string // e.g. "web-3"
	Addr string // host:port
}

// LoadBalancer is the original module's LoadBalancerProtocol: it spreads
// traffic over the instances an orchestrator runs. An orchestrator that
// starts and stops instances itself (a process orchestrator) registers each
// new instance once it is up, drains one before stopping it, and
// deregisters it once it is gone.
//
// Implementations must be safe for concurrent use.
type LoadBalancer interface {
	// Register adds the backend to the pool, ready to take traffic. Adding
	// a backend already present updates its address and makes it ready.
	Register(ctx context.Context, b Backend) error
	// Drain stops sending new traffic to the named backend; connections it
	// already has finish.
	Drain(ctx context.Context, name string) error
	// Deregister removes the named backend from the pool. Removing an
	// unknown backend is not an error.
	Deregister(ctx context.Context, name string) error
	// Backends lists the pool's backends, in name order.
	Backends(ctx context.Context) ([]Backend, error)
}
