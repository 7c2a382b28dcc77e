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
TOOL=kstatus-check
LOG="$ROOT/.local/kstatus-build.log"
# shellcheck source=lib/gotool.sh
source "$ROOT/scripts/lib/gotool.sh"

gotool_go
PIN_HASH="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-12)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kstatus-check/${PIN_HASH}-${GO_VERSION}-${GO_PLATFORM}"

case "${1:-}" in
  --print-path) echo "$CACHE/kstatus-check"; exit 0 ;;
  "") ;;
  *) fail "unknown option $1; usage: scripts/kstatus-build.sh [--print-path]" ;;
esac

gotool_reuse_or_lock
echo "kstatus-check: building against sigs.k8s.io/cli-utils from the Go module proxy (cold build takes minutes; log: $LOG)"
# -mod=readonly: go.sum is the pin (checked against the checksum database on download).
gotool_build bash -c 'cd "$1" && GOFLAGS="-buildvcs=false -mod=readonly" nice -n 10 go build -trimpath -ldflags="-s -w" -o "$2/kstatus-check" .' _ "$SRC" "$GOTOOL_TMP"
gotool_install
