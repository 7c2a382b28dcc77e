#!/usr/bin/env bash
# node-build.sh — the node binaries of issue 18's real-node tests: kubelet, kube-scheduler and
# kube-proxy, built from the Go module proxy at test/envtest's Kubernetes pin (the same pin as
# kube-apiserver and kube-controller-manager, scripts/envtest-build.sh), cached in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kubelet/<version>/
# Prints that directory. Needs Go >= 1.25 (about 1-2 min per binary with envtest's Go caches warm).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_VERSION=$(awk '$1 == "k8s.io/kubernetes" {print $2}' "$ROOT/test/envtest/go.mod")
[[ -n $KUBE_VERSION ]] || { echo "node-build: no k8s.io/kubernetes pin in test/envtest/go.mod" >&2; exit 1; }
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kubelet/$KUBE_VERSION"
want=()
for b in kubelet kube-scheduler kube-proxy; do [[ -x $DIR/$b ]] || want+=("$b"); done
if (( ${#want[@]} )); then
  command -v go >/dev/null || { echo "node-build: the 'go' command is not on PATH (Go >= 1.25 builds ${want[*]})" >&2; exit 1; }
  mkdir -p "$DIR"
  exec 9>"$DIR.lock"; flock 9 # one build at a time; a second caller reuses the first's result
  log="$DIR.build.log"
  echo "node-build: building ${want[*]} $KUBE_VERSION from the Go module proxy (log: $log)" >&2
  mod=$(mktemp -d); trap 'rm -rf "$mod"' EXIT
  cp -r "$ROOT/test/envtest/." "$mod/"
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}; ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  pkgs=(); for b in "${want[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  # -mod=mod: the envtest module lists every module these need but not all of their go.sum
  # lines; they come from the proxy, checked against the checksum database.
  (cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go build -trimpath -ldflags="$ld" -o "$mod/out/" "${pkgs[@]}") \
    >"$log" 2>&1 || { tail -n 20 "$log" >&2; echo "node-build: go build failed (log: $log)" >&2; exit 1; }
  for b in "${want[@]}"; do mv "$mod/out/$b" "$DIR/$b"; done
fi
echo "$DIR"
