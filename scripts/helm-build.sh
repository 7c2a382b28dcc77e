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
TOOL=helm
LOG="$ROOT/.local/helm-build.log"
HELM_VERSION="v3.21.4" # helm.sh/helm/v3, as served by the Go module proxy
# shellcheck source=lib/gotool.sh
source "$ROOT/scripts/lib/gotool.sh"

gotool_go
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/helm/${HELM_VERSION}-${GO_VERSION}-${GO_PLATFORM}"

case "${1:-}" in
  --print-path) echo "$CACHE/helm"; exit 0 ;;
  "") ;;
  *) fail "unknown option $1; usage: scripts/helm-build.sh [--print-path]" ;;
esac

gotool_reuse_or_lock
echo "helm: building helm ${HELM_VERSION} from the Go module proxy (cold build takes minutes; log: $LOG)"
# `go install pkg@version` uses helm's own go.mod/go.sum (checked against the checksum database).
gotool_build env GOBIN="$GOTOOL_TMP" GOFLAGS="-buildvcs=false" nice -n 10 go install -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
  "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
gotool_install
