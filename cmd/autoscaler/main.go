// Command autoscaler runs a scaling policy live: it reads the workload's
// metrics from Prometheus, decides with the same control loop, policies,
// circuit breaker and retry code as sim and replay, and scales a Kubernetes
// Deployment or StatefulSet (through its scale subresource) or a set of
// local processes behind HAProxy.
//
//	autoscaler [--config FILE] --prometheus URL --query 'PROMQL' [--capacity-per-instance X] \
//	  --target deployment/NAME [--namespace NS] [--kubeconfig F] [--context C] \
//	  --policy NAME | --policy-file F  [--sync-period 15s] [--metrics-addr 127.0.0.1:9090] \
//	  [--record FILE] [--dry-run] [--log-format json|text]
//
// Every flag can also be set by an OMNIXAN_AUTOSCALING_* variable
// (--sync-period: OMNIXAN_AUTOSCALING_SYNC_PERIOD) or by a key of the
// --config file (sync_period or sync-period); a flag beats the variable,
// which beats the file, which beats the default. docs/live.md has the
// details.
//
// Exit status: 0 after SIGTERM or SIGINT (the action in flight finishes,
// the recording is flushed), 2 for a bad setting (a ConfigurationError
// naming the flag, variable or file key), 1 for any other failure.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/omnixan/omnixan/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode("autoscaler", err, os.Stderr))
}
