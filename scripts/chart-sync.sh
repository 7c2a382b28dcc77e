#!/usr/bin/env bash
# Copies into the Helm chart what it must carry from the rest of the repository, byte for byte:
# the CRDs (crds/*.yaml -> the chart's crds/) and the monitoring pack (deploy/components/monitoring
# -> the chart's files/monitoring/, read there with .Files.Get). Helm cannot read outside the chart
# directory, so the chart holds copies; these files are edited only at their source, and
# test/integration/helm.test.ts fails, naming this script, when a copy differs from its source.
#
# Usage: scripts/chart-sync.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/deploy/helm/contrail-lb-operator"

rm -f "$CHART"/crds/*.yaml
cp "$ROOT"/crds/*.yaml "$CHART/crds/"

rm -rf "$CHART/files/monitoring"
mkdir -p "$CHART/files"
cp -R "$ROOT/deploy/components/monitoring" "$CHART/files/monitoring"
echo "chart-sync: copied crds/ and deploy/components/monitoring into ${CHART#"$ROOT"/}"
