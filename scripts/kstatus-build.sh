#!/usr/bin/env bash
# Builds (or reuses) scripts/kstatus-check — a small Go program around the real kstatus library
# (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute, pinned in scripts/kstatus-check/go.mod) —
# from the Go module proxy, the way scripts/envtest-build.sh builds kube-apiserver, and links it
# into .local/bin. The integration stage's test/integration/kstatus.test.ts runs it. Cached per
# hash of what changes the output (go.mod, go.sum, main.go, the Go version) under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kstatus-check/<hash>-<go>-<os>-<arch>/
# Prints a progress line at least every 30 s while a cold build runs.
#
# Usage: scripts/kstatus-build.sh [--print-path]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/scripts/kstatus-check"
BIN="$ROOT/.local/bin"
LOG="$ROOT/.local/kstatus-build.log"

fail() { echo "kstatus-check: $*" >&2; exit 1; }

[[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || fail "the 'go' command is not on PATH; install Go >= 1.25 (https://go.dev/dl) and retry."
GO_VERSION="$(go env GOVERSION)"
PIN_HASH="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-12)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kstatus-check/${PIN_HASH}-${GO_VERSION}-$(go env GOOS)-$(go env GOARCH)"

link() {
  mkdir -p "$BIN"
  [[ "$(readlink "$BIN/kstatus-check" 2>/dev/null)" == "$CACHE/kstatus-check" ]] && return 0
  ln -sfn "$CACHE/kstatus-check" "$BIN/.kstatus-check.$$" && mv -Tf "$BIN/.kstatus-check.$$" "$BIN/kstatus-check"
}

case "${1:-}" in
  --print-path) echo "$CACHE/kstatus-check"; exit 0 ;;
  "") ;;
  *) fail "unknown option $1; usage: scripts/kstatus-build.sh [--print-path]" ;;
esac

if [[ -x "$CACHE/kstatus-check" ]]; then link; echo "kstatus-check: reusing the build in $CACHE"; exit 0; fi

mkdir -p "$(dirname "$CACHE")" "$ROOT/.local"
exec 9>"$CACHE.lock"
flock 9
if [[ -x "$CACHE/kstatus-check" ]]; then link; echo "kstatus-check: reusing the build made meanwhile in $CACHE"; exit 0; fi

echo "kstatus-check: building against sigs.k8s.io/cli-utils from the Go module proxy (cold build takes minutes; log: $LOG)"
start=$(date +%s)
TMP="$CACHE.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
# -mod=readonly: go.sum is the pin (checked against the checksum database on download).
( cd "$SRC" && GOFLAGS="-buildvcs=false -mod=readonly" nice -n 10 go build -trimpath -ldflags="-s -w" -o "$TMP/kstatus-check" . ) >"$LOG" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && echo "kstatus-check: still building ($(( $(date +%s) - start ))s)"
done
if ! wait "$pid"; then
  rm -rf "$TMP"
  first="$(grep -v -E '^\s*$|^#|^\s' "$LOG" | head -n 1 | cut -c1-400)"
  fail "go build failed: ${first:-$(tail -n 1 "$LOG")} (full log: $LOG)"
fi
[[ -x "$TMP/kstatus-check" ]] || fail "go build produced no binary (log: $LOG)"
rm -rf "$CACHE"; mv "$TMP" "$CACHE"
link
echo "kstatus-check: built in $(( $(date +%s) - start ))s into $CACHE"
