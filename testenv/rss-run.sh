#!/usr/bin/env bash
# Measure the live autoscaler's resident memory over a run at a 1 s sync
# period, against the control plane of testenv/kube-up.sh and a real
# Prometheus scraping testenv/loadexporter (a sine wave of load, so that the
# Deployment keeps scaling). Samples VmRSS every 10 s and prints the
# samples, the peak and the last value; the issue's budget is 50 MB for a
# one-hour run.
#
# Usage: KUBE_STATE_DIR=... testenv/rss-run.sh [DURATION_SECONDS]   (default 3600)
#   KUBE_STATE_DIR is the STATE_DIR that testenv/kube-up.sh printed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DURATION=${1:-3600}
: "${KUBE_STATE_DIR:?set KUBE_STATE_DIR to the folder testenv/kube-up.sh printed}"
WORK=$(mktemp -d /tmp/omnixan-rss.XXXXXX)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

(cd "$ROOT" && go build -o "$WORK/autoscaler" ./cmd/autoscaler && go build -o "$WORK/loadexporter" ./testenv/loadexporter)
EXP=127.0.0.1:$(freeport)
"$WORK/loadexporter" --addr "$EXP" --base 40 --amplitude 30 --period 5m > "$WORK/exporter.log" 2>&1 &
EXP_PID=$!
PROM_OUT=$(SCRAPE_TARGETS=$EXP "$HERE/prometheus-up.sh")
PROM_STATE=$(echo "$PROM_OUT" | sed -n 's/^STATE_DIR=//p')
PROM_URL=$(echo "$PROM_OUT" | sed -n 's/^PROMETHEUS_URL=//p')
AS_PID=""
cleanup() {
  [ -n "$AS_PID" ] && kill "$AS_PID" 2>/dev/null && wait "$AS_PID" 2>/dev/null
  kill "$EXP_PID" 2>/dev/null || true
  "$HERE/prometheus-down.sh" "$PROM_STATE" --rm
}
trap cleanup EXIT

# A namespace and a one-replica Deployment on the KWOK node.
URL=https://127.0.0.1:$(cat "$KUBE_STATE_DIR/kube-port")
kube() { curl -sf --cacert "$KUBE_STATE_DIR/ca.crt" -H "Authorization: Bearer $(cat "$KUBE_STATE_DIR/token")" -H 'Content-Type: application/json' "$@"; }
NS=omnixan-rss-$$
kube -X POST "$URL/api/v1/namespaces" -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}" >/dev/null
kube -X POST "$URL/apis/apps/v1/namespaces/$NS/deployments" -d '{"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
  "template":{"metadata":{"labels":{"app":"web"}},"spec":{"nodeSelector":{"type":"kwok"},
  "containers":[{"name":"web","image":"omnixan.test/web:fake"}]}}}}' >/dev/null

cat > "$WORK/hpa.yaml" <<YML
policy: hpa
params:
  min_replicas: 1
  max_replicas: 10
  metrics:
    - {type: Pods, name: requests_per_second, average_value: 10}
  downscale_stabilization: 30s
YML
MADDR=127.0.0.1:$(freeport)
"$WORK/autoscaler" --prometheus "$PROM_URL" --query 'sum(omnixan_test_requests_per_second)' \
  --target deployment/web --namespace "$NS" --kubeconfig "$KUBE_STATE_DIR/kubeconfig" \
  --policy-file "$WORK/hpa.yaml" --sync-period 1s --metrics-addr "$MADDR" \
  --record "$WORK/recording.csv" > "$WORK/autoscaler.log" 2>&1 &
AS_PID=$!

echo "seconds,rss_kib" > "$WORK/rss.csv"
end=$(( $(date +%s) + DURATION )); start=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
  kill -0 "$AS_PID" || { echo "autoscaler died:" >&2; tail -20 "$WORK/autoscaler.log" >&2; exit 1; }
  echo "$(( $(date +%s) - start )),$(awk '/^VmRSS/ {print $2}' /proc/$AS_PID/status)" >> "$WORK/rss.csv"
  sleep 10
done
peak=$(tail -n +2 "$WORK/rss.csv" | cut -d, -f2 | sort -n | tail -1)
last=$(tail -1 "$WORK/rss.csv" | cut -d, -f2)
passes=$(grep -c '"msg":"decision"' "$WORK/autoscaler.log" || true)
scales=$(grep -c '"scaled":true' "$WORK/autoscaler.log" || true)
metrics=$(curl -sf "http://$MADDR/metrics")
gomem=$(echo "$metrics" | awk '/^process_resident_memory_bytes / {printf "%.1f", $2/1048576}')
# The decision latency's p99, as the upper bound of the histogram bucket it falls in.
p99=$(echo "$metrics" | awk -F'[{}" ]+' '/^omnixan_autoscaler_decision_latency_seconds_bucket/ {le[n]=$3; c[n++]=$NF}
  END {for (i = 0; i < n; i++) if (c[i] >= 0.99 * c[n-1]) {print le[i]; exit}}')
echo "run: ${DURATION}s at 1s sync, $passes decisions, $scales scale calls, $(( $(wc -l < "$WORK/recording.csv") - 1 )) rows recorded"
echo "RSS: peak $((peak / 1024)) MiB ($peak KiB), last $((last / 1024)) MiB; process_resident_memory_bytes at the end: $gomem MiB"
echo "decision latency (observation to orchestrator call, without the orchestrator's time): p99 ≤ ${p99}s"
echo "samples: $WORK/rss.csv"
kube -X DELETE "$URL/api/v1/namespaces/$NS" >/dev/null || true
