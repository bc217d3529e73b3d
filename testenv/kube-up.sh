#!/usr/bin/env bash
# Start a container-less Kubernetes control plane on 127.0.0.1 for the live
# integration tests: etcd, kube-apiserver (TLS, a static admin token, RBAC),
# kube-controller-manager, kube-scheduler and KWOK with one fake node
# "kwok-node-0", so that a Deployment gets a ReplicaSet and Pods that the
# scheduler binds to the node and KWOK marks Running (no kubelet, no
# container runtime). Waits until the API server is ready, the default
# ServiceAccount exists and the node is Ready (~3 s when built).
#
# Binaries: testenv/kube-build.sh. State (PKI, etcd data, logs, kubeconfig,
# PIDs newest last) lives in a fresh folder. testenv/kube-apiserver.sh stops
# and restarts the API server alone (for breaker tests).
#
# Usage: testenv/kube-up.sh   -> prints STATE_DIR=, KUBECONFIG=, KUBE_URL=; also written to $STATE_DIR/env
#        testenv/kube-down.sh STATE_DIR [--rm]
# Env:   OMNIXAN_KUBE_BIN (the build cache)  STATE_DIR (mktemp)  KUBE_PORT, ETCD_PORT (free ports)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=${OMNIXAN_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/omnixan/kube-bin}
STATE_DIR=${STATE_DIR:-$(mktemp -d /tmp/omnixan-kube.XXXXXX)}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
KUBE_PORT=${KUBE_PORT:-$(freeport)}
ETCD_PORT=${ETCD_PORT:-$(freeport)}
ETCD_PEER_PORT=$(freeport)
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [ -x "$BIN_DIR/$b" ] || { echo "no $BIN_DIR/$b: run testenv/kube-build.sh first" >&2; exit 1; }
done
PKI=$STATE_DIR/pki
mkdir -p "$PKI" "$STATE_DIR/etcd"
: > "$STATE_DIR/pids"
# On any failure, stop what was started (the caller never learns STATE_DIR).
up=0
trap '[ $up = 1 ] || { echo "kube-up.sh failed; logs in $STATE_DIR" >&2; "$HERE/stop-pids.sh" "$STATE_DIR"; }' EXIT
t0=$(date +%s%N)
since() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }

# PKI: a CA, the API server's certificate for 127.0.0.1, the service-account key, a token.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=omnixan-test-ca" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
  -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > "$PKI/ext.cnf"
openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 2 -extfile "$PKI/ext.cnf" -out "$PKI/apiserver.crt" 2>/dev/null
openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
TOKEN=$(openssl rand -hex 24)
echo "$TOKEN,admin,admin,system:masters" > "$PKI/tokens.csv"

cat > "$STATE_DIR/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
current-context: local
KC

# etcd, loopback only, no fsync: test data is thrown away.
"$BIN_DIR/etcd" --name default --data-dir "$STATE_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level warn > "$STATE_DIR/etcd.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null || { echo "etcd failed:" >&2; tail -20 "$STATE_DIR/etcd.log" >&2; exit 1; }

# kube-apiserver: its command is kept in a script so that kube-apiserver.sh can restart it.
cat > "$STATE_DIR/kube-apiserver.run" <<RUN
exec "$BIN_DIR/kube-apiserver" \\
  --etcd-servers=http://127.0.0.1:$ETCD_PORT \\
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=$KUBE_PORT \\
  --tls-cert-file=$PKI/apiserver.crt --tls-private-key-file=$PKI/apiserver.key \\
  --client-ca-file=$PKI/ca.crt --token-auth-file=$PKI/tokens.csv \\
  --authorization-mode=RBAC \\
  --service-account-issuer=https://kubernetes.default.svc \\
  --service-account-key-file=$PKI/sa.pub --service-account-signing-key-file=$PKI/sa.key \\
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none --profiling=false \\
  >> "$STATE_DIR/kube-apiserver.log" 2>&1
RUN
echo "$KUBE_PORT" > "$STATE_DIR/kube-port"
cp "$PKI/ca.crt" "$STATE_DIR/ca.crt"; echo "$TOKEN" > "$STATE_DIR/token"
"$HERE/kube-apiserver.sh" "$STATE_DIR" start

# Controller manager and scheduler (no HTTPS endpoints of their own), KWOK.
"$BIN_DIR/kube-controller-manager" --kubeconfig="$STATE_DIR/kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --use-service-account-credentials=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --controllers='*' --profiling=false > "$STATE_DIR/kube-controller-manager.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"
"$BIN_DIR/kube-scheduler" --kubeconfig="$STATE_DIR/kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --profiling=false \
  > "$STATE_DIR/kube-scheduler.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"
"$BIN_DIR/kwok" --config="$HERE/kwok/stages.yaml" --kubeconfig="$STATE_DIR/kubeconfig" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-ip=10.244.0.1 --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 \
  --server-address=127.0.0.1:0 > "$STATE_DIR/kwok.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"

kube() { curl -sf --cacert "$PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "$@"; }
URL=https://127.0.0.1:$KUBE_PORT
kube -H 'Content-Type: application/json' -X POST "$URL/api/v1/nodes" -d '{
  "apiVersion":"v1","kind":"Node",
  "metadata":{"name":"kwok-node-0","annotations":{"kwok.x-k8s.io/node":"fake"},
              "labels":{"kubernetes.io/hostname":"kwok-node-0","kubernetes.io/os":"linux","type":"kwok"}},
  "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
            "capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}' >/dev/null
waitfor() { for _ in $(seq 1 300); do eval "$2" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; exit 1; }
waitfor "the default ServiceAccount" "kube $URL/api/v1/namespaces/default/serviceaccounts/default"
nodeready() { kube "$URL/api/v1/nodes/kwok-node-0" | python3 -c 'import json, sys
n = json.load(sys.stdin)
sys.exit(0 if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", [])) else 1)'; }
waitfor "kwok-node-0 Ready" nodeready

cat > "$STATE_DIR/env" <<ENV
KUBE_STATE_DIR=$STATE_DIR
KUBECONFIG=$STATE_DIR/kubeconfig
KUBE_URL=$URL
ENV
up=1
echo "STATE_DIR=$STATE_DIR"
cat "$STATE_DIR/env"
echo "up in $(since); teardown: $HERE/kube-down.sh $STATE_DIR --rm"
