#!/usr/bin/env bash
# Stop exactly the processes recorded by openstack-up.sh in $OSTEST_DIR/run/*.pid (TERM, wait up
# to 10 s, then KILL). State is kept, so the next openstack-up is a warm start.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=openstack/lib.sh
source "$HERE/openstack/lib.sh"

shopt -s nullglob
names=()
for f in "$OSTEST_DIR"/run/*.pid; do
  name=$(basename "$f" .pid)
  if pid_alive "$name"; then
    kill -TERM "$(<"$f")" 2>/dev/null || true
    names+=("$name")
  else
    rm -f "$f"
  fi
done
deadline=$(( $(date +%s) + 10 ))
for name in "${names[@]}"; do
  while pid_alive "$name" && (( $(date +%s) < deadline )); do sleep 0.2; done
  if pid_alive "$name"; then
    log "$name did not stop on TERM; sending KILL"
    kill -KILL "$(<"$OSTEST_DIR/run/$name.pid")" 2>/dev/null || true
  fi
  rm -f "$OSTEST_DIR/run/$name.pid"
  log "$name stopped"
done
