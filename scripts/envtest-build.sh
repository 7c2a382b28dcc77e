#!/usr/bin/env bash
# Builds (or reuses) the pinned kube-apiserver, kubectl and etcd of test/envtest and links them
# into .local/bin. Binaries are cached per pin hash under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/envtest/<hash>/
# so a fresh clone on a machine that built before reuses them; the hash covers everything that
# changes the output (go.mod, go.sum, the etcd main, this script's build flags, the Go version).
# The Go build and module caches are Go's defaults and are kept between runs.
#
# Usage: scripts/envtest-build.sh [--print-dir | --with-controller-manager]
#   --print-dir  print the cache directory of the current pins and exit (no build)
#   --with-controller-manager  also build kube-controller-manager (for cluster-up --controller-manager)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOD="$ROOT/test/envtest"
BIN="$ROOT/.local/bin"
LOG="$ROOT/.local/envtest-build.log"
KUBE_VERSION="v1.35.4" # must match k8s.io/kubernetes in test/envtest/go.mod
BINARIES=(kube-apiserver kubectl etcd)

fail() { echo "envtest: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "the 'go' command is not on PATH; install Go >= 1.25 (https://go.dev/dl) and retry."
GO_VERSION="$(go env GOVERSION)"
case "$GO_VERSION" in
  go1.2[5-9]*|go1.[3-9][0-9]*) ;;
  *) fail "Go $GO_VERSION is too old: Kubernetes ${KUBE_VERSION} needs Go >= 1.25; install a newer Go and retry." ;;
esac

# Version stamps the way Kubernetes' hack/lib/version.sh sets them, so `kubectl version` and the
# apiserver's /version report the real release instead of v0.0.0-master.
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $pkg.gitVersion=${KUBE_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

PIN_HASH="$(
  { cat "$MOD/go.mod" "$MOD/go.sum" "$MOD/cmd/etcd/main.go"; echo "$LDFLAGS"; echo "$GO_VERSION"; go env GOOS GOARCH; } |
    sha256sum | cut -c1-16
)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/envtest/$PIN_HASH"

want_kcm=0
case "${1:-}" in
  --print-dir) echo "$CACHE"; exit 0 ;;
  --with-controller-manager) want_kcm=1 ;;
  "") ;;
  *) fail "unknown option $1; usage: scripts/envtest-build.sh [--print-dir | --with-controller-manager]" ;;
esac
KCM=kube-controller-manager

link_binaries() {
  mkdir -p "$BIN"
  # Atomic replace (rename), and none when already right: a cluster starting at this moment
  # in another clone's run must never find a binary missing.
  local b
  for b in "${BINARIES[@]}" $([[ -x "$CACHE/$KCM" ]] && echo "$KCM"); do
    [[ "$(readlink "$BIN/$b" 2>/dev/null)" == "$CACHE/$b" ]] && continue
    ln -sfn "$CACHE/$b" "$BIN/.$b.$$" && mv -Tf "$BIN/.$b.$$" "$BIN/$b"
  done
}

# A cold build is quiet for many minutes: say that it is still going at least every 30 s
# (with what the Go build cache has grown to, which shows it is not stuck).
progress() { # pid what
  local pid=$1 what=$2 t0 i
  t0=$(date +%s)
  while kill -0 "$pid" 2>/dev/null; do
    for ((i = 0; i < 25; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
    echo "envtest: still building $what ($(( $(date +%s) - t0 ))s, Go build cache $(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1))"
  done
}

go_build() { # output-dir packages...
  local out=$1; shift
  local what="${*##*/}" pid rc=0
  (cd "$MOD" && GOFLAGS="-mod=readonly -buildvcs=false" exec nice -n 10 \
        go build -trimpath -ldflags="$LDFLAGS" -o "$out/" "$@") >"$LOG" 2>&1 &
  pid=$!
  progress "$pid" "$what"
  wait "$pid" || rc=$?
  if [[ $rc != 0 ]]; then
    rm -rf "$out"
    # The first error line names the cause (later ones repeat it for other packages).
    local first
    first="$(grep -v -E '^\s*$|^#|^\s' "$LOG" | head -n 1 | cut -c1-400)"
    fail "go build failed: ${first:-$(tail -n 1 "$LOG")} (full log: $LOG; check network access to the Go proxy and free disk, then rerun 'make envtest')."
  fi
}

have_all() { [[ -f "$CACHE/.complete" ]] && { [[ $want_kcm == 0 ]] || [[ -x "$CACHE/$KCM" ]]; }; }

if have_all; then
  link_binaries
  echo "envtest: reusing kube-apiserver/kubectl ${KUBE_VERSION} + etcd$([[ $want_kcm == 1 ]] && echo " + $KCM") from $CACHE"
  exit 0
fi

mkdir -p "$(dirname "$CACHE")" "$ROOT/.local"
# One build per pin set at a time: a second caller waits for the first and then reuses its result.
exec 9>"$CACHE.lock"
flock 9
if have_all; then
  link_binaries
  echo "envtest: reusing binaries built meanwhile in $CACHE"
  exit 0
fi

start=$(date +%s)
if [[ ! -f "$CACHE/.complete" ]]; then
  echo "envtest: building kube-apiserver, kubectl ${KUBE_VERSION} and etcd (cold build takes many minutes; log: $LOG)"
  TMP="$CACHE.tmp.$$"
  rm -rf "$TMP"; mkdir -p "$TMP"
  go_build "$TMP" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./cmd/etcd
  for b in "${BINARIES[@]}"; do [[ -x "$TMP/$b" ]] || fail "go build produced no $b binary (log: $LOG)."; done
  touch "$TMP/.complete"
  rm -rf "$CACHE"; mv "$TMP" "$CACHE"
fi
# Optional (cluster-up --controller-manager): same pins, built only when asked for.
if [[ $want_kcm == 1 && ! -x "$CACHE/$KCM" ]]; then
  echo "envtest: building $KCM ${KUBE_VERSION} (log: $LOG)"
  TMP="$CACHE/.kcm.tmp.$$"
  mkdir -p "$TMP"
  go_build "$TMP" k8s.io/kubernetes/cmd/kube-controller-manager
  mv "$TMP/$KCM" "$CACHE/$KCM"; rm -rf "$TMP"
fi
link_binaries
echo "envtest: built in $(( $(date +%s) - start ))s into $CACHE ($(du -sh "$CACHE" | cut -f1))"
