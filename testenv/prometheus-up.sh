#!/usr/bin/env bash
# Start a real Prometheus (Debian's package: apt-get install -y prometheus;
# the binary is run directly, the service is never started) on a free
# 127.0.0.1 port, for trying `replay --prometheus` by hand. It scrapes
# itself every second, plus any host:port in SCRAPE_TARGETS (comma list).
# State (config, TSDB, log, pids) lives in a fresh folder.
#
# Usage: testenv/prometheus-up.sh     -> prints STATE_DIR= and PROMETHEUS_URL=
#        testenv/prometheus-down.sh STATE_DIR [--rm]
#
# The Go integration test (cmd/replay/live_test.go) does not need this
# script: it starts the binary itself, with its own test exporter.
set -euo pipefail
STATE_DIR=${STATE_DIR:-$(mktemp -d /tmp/omnixan-prom.XXXXXX)}
PROM_BIN=${PROMETHEUS_BIN:-prometheus}
command -v "$PROM_BIN" >/dev/null || {
  echo "no $PROM_BIN: apt-get update && apt-get install -y --no-install-recommends prometheus" >&2; exit 1; }

# A free port: bind port 0 and read what the kernel gave.
PORT=${PROM_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

mkdir -p "$STATE_DIR/data"
targets="'127.0.0.1:$PORT'"
if [ -n "${SCRAPE_TARGETS:-}" ]; then
  targets="$targets,$(echo "$SCRAPE_TARGETS" | sed "s/[^,][^,]*/'&'/g")"
fi
cat > "$STATE_DIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: workload
    static_configs:
      - targets: [$targets]
YML

"$PROM_BIN" \
  --config.file="$STATE_DIR/prometheus.yml" \
  --storage.tsdb.path="$STATE_DIR/data" \
  --web.listen-address="127.0.0.1:$PORT" \
  > "$STATE_DIR/prometheus.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"

for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null || {
  echo "prometheus not ready; log:" >&2; tail -20 "$STATE_DIR/prometheus.log" >&2; exit 1; }

echo "STATE_DIR=$STATE_DIR"
echo "PROMETHEUS_URL=http://127.0.0.1:$PORT"
echo "teardown: $(dirname "$0")/prometheus-down.sh $STATE_DIR --rm"
