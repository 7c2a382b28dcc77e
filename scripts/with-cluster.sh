#!/usr/bin/env bash
# Runs a command with a fresh shared cluster up and always tears it down afterwards.
#
# Usage: scripts/with-cluster.sh [--no-crds] [--controller-manager] COMMAND [ARGS...]
# (the options are cluster-up.sh's)
# The command sees LBOP_TEST_KUBECONFIG, LBOP_TEST_ETCD_URL and LBOP_TEST_CLUSTER_DIR (what
# useCluster() in test/support/cluster.ts picks up). Exit status is the command's.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
up_args=()
while [[ "${1:-}" == "--no-crds" || "${1:-}" == "--controller-manager" ]]; do up_args+=("$1"); shift; done
if [[ $# -eq 0 ]]; then echo "usage: scripts/with-cluster.sh [--no-crds] [--controller-manager] COMMAND [ARGS...]" >&2; exit 2; fi

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
# A control plane that died under the tests explains their failures better than they can.
for p in etcd apiserver controller-manager; do
  pid="$(cat "$DIR/$p.pid" 2>/dev/null)"
  if [[ -n "$pid" && ! -e "/proc/$pid/exe" ]] || [[ -n "$pid" && "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]]; then
    last="$(grep -v '^\s*$' "$DIR/$p.log" 2>/dev/null | tail -n 1 |
      sed -E 's/^\{.*"msg":"([^"]*)"(.*"error":"([^"]*)")?.*$/last log: \1 \3/' | cut -c1-300)"
    echo "with-cluster: $p (pid $pid) died during the run: ${last:-no log output}; rerun, and check memory/disk if it repeats." >&2
    [[ $rc == 0 ]] && rc=1
  fi
done
exit "$rc"
