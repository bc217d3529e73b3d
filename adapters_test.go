package omnixan_test

import (
	"github.com/omnixan/omnixan"
	"github.com/omnixan/omnixan/live"
)

// The live adapters plug into a Module as they are: the same interfaces
// the simulated cluster implements.
var (
	_ omnixan.MetricsCollector      = (*live.PromSource)(nil)
	_ omnixan.ContainerOrchestrator = (*live.Kube)(nil)
	_ omnixan.ContainerOrchestrator = (*live.Processes)(nil)
	_ omnixan.LoadBalancer          = (*live.HAProxy)(nil)
	_ omnixan.MetricsCollector      = (*omnixan.SimulatedCluster)(nil)
	_ omnixan.ContainerOrchestrator = (*omnixan.SimulatedCluster)(nil)
)
