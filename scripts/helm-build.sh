#!/usr/bin/env bash
# Builds (or reuses) the pinned helm CLI from the Go module proxy and links it into .local/bin,
# the way scripts/envtest-build.sh builds kube-apiserver: Helm is not packaged in Debian bookworm,
# and a downloaded release binary is not an option. Cached per pin under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/helm/<version>-<go version>/helm
# Prints a progress line at least every 30 s while the (cold, several-minute) build runs.
#
# Usage: scripts/helm-build.sh [--print-path]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.local/bin"
LOG="$ROOT/.local/helm-build.log"
HELM_VERSION="v3.21.4" # helm.sh/helm/v3, as served by the Go module proxy

fail() { echo "helm: $*" >&2; exit 1; }

[[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || fail "the 'go' command is not on PATH; install Go >= 1.25 (https://go.dev/dl) and retry."
GO_VERSION="$(go env GOVERSION)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/helm/${HELM_VERSION}-${GO_VERSION}-$(go env GOOS)-$(go env GOARCH)"

link() {
  mkdir -p "$BIN"
  [[ "$(readlink "$BIN/helm" 2>/dev/null)" == "$CACHE/helm" ]] && return 0
  ln -sfn "$CACHE/helm" "$BIN/.helm.$$" && mv -Tf "$BIN/.helm.$$" "$BIN/helm"
}

case "${1:-}" in
  --print-path) echo "$CACHE/helm"; exit 0 ;;
  "") ;;
  *) fail "unknown option $1; usage: scripts/helm-build.sh [--print-path]" ;;
esac

if [[ -x "$CACHE/helm" ]]; then link; echo "helm: reusing ${HELM_VERSION} from $CACHE"; exit 0; fi

mkdir -p "$(dirname "$CACHE")" "$ROOT/.local"
exec 9>"$CACHE.lock"
flock 9
if [[ -x "$CACHE/helm" ]]; then link; echo "helm: reusing ${HELM_VERSION} built meanwhile in $CACHE"; exit 0; fi

echo "helm: building helm ${HELM_VERSION} from the Go module proxy (cold build takes minutes; log: $LOG)"
start=$(date +%s)
TMP="$CACHE.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
# `go install pkg@version` uses helm's own go.mod/go.sum (checked against the checksum database).
GOBIN="$TMP" GOFLAGS="-buildvcs=false" nice -n 10 go install -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
  "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >"$LOG" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && echo "helm: still building ($(( $(date +%s) - start ))s)"
done
if ! wait "$pid"; then
  rm -rf "$TMP"
  first="$(grep -v -E '^\s*$|^#|^\s' "$LOG" | head -n 1 | cut -c1-400)"
  fail "go install failed: ${first:-$(tail -n 1 "$LOG")} (full log: $LOG)"
fi
[[ -x "$TMP/helm" ]] || fail "go install produced no helm binary (log: $LOG)"
rm -rf "$CACHE"; mv "$TMP" "$CACHE"
link
echo "helm: built ${HELM_VERSION} in $(( $(date +%s) - start ))s into $CACHE"
