#!/usr/bin/env bash
# Stop exactly the process groups recorded by openstack-up.sh in $OSTEST_DIR/run/*.pid (TERM,
# wait up to 10 s, then KILL). State is kept, so the next openstack-up is a warm start.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=openstack/lib.sh
source "$HERE/openstack/lib.sh"

shopt -s nullglob
names=()
pids=()
for f in "$OSTEST_DIR"/run/*.pid; do
  name=$(basename "$f" .pid)
  pid=$(<"$f")
  # The whole group: workers, the broker under its wrapper script, whatever outlived its leader.
  if [[ $pid =~ ^[0-9]+$ ]] && group_ours "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    names+=("$name")
    pids+=("$pid")
  else
    rm -f "$f"
  fi
done
deadline=$(( $(date +%s) + 10 ))
for i in "${!names[@]}"; do
  name=${names[$i]} pid=${pids[$i]}
  while kill -0 -- "-$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.2; done
  if group_ours "$pid"; then
    log "$name did not stop on TERM; sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$OSTEST_DIR/run/$name.pid"
  log "$name stopped"
done
