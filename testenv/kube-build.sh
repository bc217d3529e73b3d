#!/usr/bin/env bash
# Build the Kubernetes control plane the live integration tests run, from
# the Go module proxy, into a cache outside the repository:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes v1.37.2)
#   etcd  (go.etcd.io/etcd/server/v3 v3.6.16)
#   kwok  (sigs.k8s.io/kwok v0.8.0: fake nodes whose pods become Running)
# Binaries already at the right version are kept (FORCE=1 rebuilds): cold
# ~13 min on 2 cores (kube-apiserver is most of it), warm < 1 s.
#
# k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces every
# staging module with ./staging/src/...), nor can etcd's server: both are
# built from a scratch module that requires them, with Kubernetes' staging
# modules replaced by their published v0.37.2.
#
# Usage: testenv/kube-build.sh [BIN_DIR]
#   BIN_DIR defaults to $OMNIXAN_KUBE_BIN, else ${XDG_CACHE_HOME:-~/.cache}/omnixan/kube-bin.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-1.37.2}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
KWOK_VERSION=${KWOK_VERSION:-0.8.0}
BIN_DIR=${1:-${OMNIXAN_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/omnixan/kube-bin}}
mkdir -p "$BIN_DIR"; BIN_DIR=$(cd "$BIN_DIR" && pwd)
export CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)

build_kube() {
  local cmds=() c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    if [ -z "${FORCE:-}" ] && [ -x "$BIN_DIR/$c" ] && "$BIN_DIR/$c" --version 2>/dev/null | grep -q "v$K8S_VERSION\$"; then
      echo "$c is already v$K8S_VERSION"; continue
    fi
    cmds+=("k8s.io/kubernetes/cmd/$c")
  done
  [ ${#cmds[@]} -gt 0 ] || return 0
  local mod=$BIN_DIR/.mod staging=v0.${K8S_VERSION#1.}
  mkdir -p "$mod" && cd "$mod"
  [ -f go.mod ] || go mod init kubebuild >/dev/null 2>&1
  local kmod args m
  kmod=$(go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@v$K8S_VERSION")
  args=(-require="k8s.io/kubernetes@v$K8S_VERSION")
  for m in $(awk '/=> \.\/staging\/src\// {print $1}' "$kmod"); do args+=(-replace="$m=$m@$staging"); done
  go mod edit "${args[@]}"
  go get "${cmds[@]/%/@v$K8S_VERSION}"
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1
    -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean
    -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  for c in "${cmds[@]}"; do echo "building $c"; go build -ldflags "$ld" -o "$BIN_DIR/" "$c"; done
}

build_etcd() {
  if [ -z "${FORCE:-}" ] && [ -x "$BIN_DIR/etcd" ] && "$BIN_DIR/etcd" --version 2>/dev/null | grep -q "etcd Version: $ETCD_VERSION\$"; then
    echo "etcd is already $ETCD_VERSION"; return 0
  fi
  local mod=$BIN_DIR/.etcdmod
  mkdir -p "$mod" && cd "$mod"
  [ -f go.mod ] || go mod init etcdbuild >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go build -ldflags "-s -w" -o "$BIN_DIR/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  if [ -z "${FORCE:-}" ] && "$BIN_DIR/kwok" --version 2>/dev/null | grep -q "kwok version v$KWOK_VERSION "; then
    echo "kwok is already v$KWOK_VERSION"; return 0
  fi
  GOBIN="$BIN_DIR" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}

# In parallel: the Kubernetes build keeps about one core busy, etcd and kwok fit beside it.
build_kube > "$BIN_DIR/build-kube.log" 2>&1 & k=$!
build_etcd > "$BIN_DIR/build-etcd.log" 2>&1 & e=$!
build_kwok > "$BIN_DIR/build-kwok.log" 2>&1 & w=$!
rc=0
for pn in "$k:kube" "$e:etcd" "$w:kwok"; do
  if wait "${pn%%:*}"; then echo "${pn#*:}: ok after $(( $(date +%s) - start ))s"
  else rc=1; echo "${pn#*:}: FAILED, see $BIN_DIR/build-${pn#*:}.log" >&2; tail -20 "$BIN_DIR/build-${pn#*:}.log" >&2; fi
done
exit $rc
