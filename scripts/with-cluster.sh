#!/usr/bin/env bash
# Runs a command with a fresh shared cluster up and always tears it down afterwards.
#
# Usage: scripts/with-cluster.sh [--no-crds] COMMAND [ARGS...]
# The command sees LBOP_TEST_KUBECONFIG, LBOP_TEST_ETCD_URL and LBOP_TEST_CLUSTER_DIR (what
# useCluster() in test/support/cluster.ts picks up). Exit status is the command's.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
up_args=()
if [[ "${1:-}" == "--no-crds" ]]; then up_args+=(--no-crds); shift; fi
if [[ $# -eq 0 ]]; then echo "usage: scripts/with-cluster.sh [--no-crds] COMMAND [ARGS...]" >&2; exit 2; fi

mkdir -p "$ROOT/.local"
DIR="$(mktemp -d "$ROOT/.local/cluster-run.XXXXXX")"
child=""
teardown() {
  if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  "$ROOT/scripts/cluster-down.sh" "$DIR"
  # This script made the directory, so it also removes what the tests left in it.
  rm -rf "$DIR"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$ROOT/scripts/cluster-up.sh" "${up_args[@]}" "$DIR" || exit 1
# shellcheck source=/dev/null
source "$DIR/env"
# In the background so a signal to this script runs the teardown at once.
"$@" &
child=$!
wait "$child"
rc=$?
child=""
exit "$rc"
