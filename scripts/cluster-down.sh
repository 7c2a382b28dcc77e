#!/usr/bin/env bash
# Stops the kube-apiserver and etcd recorded in an instance directory and removes the directory.
# Only the recorded PIDs are signalled, and only if they still run the envtest binaries (a PID
# reused by an unrelated process is left alone). Always cleans up; exits 0 when nothing runs.
#
# Usage: scripts/cluster-down.sh [INSTANCE_DIR]   (default .local/cluster, also removes .local/kubeconfig)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
default_instance=0
dir="${1:-}"
if [[ -z "$dir" ]]; then dir="$ROOT/.local/cluster"; default_instance=1; fi
if [[ ! -d "$dir" ]]; then
  [[ $default_instance == 1 ]] && rm -f "$ROOT/.local/kubeconfig"
  exit 0
fi
DIR="$(cd "$dir" && pwd)"

# True when PID runs a binary named NAME (resolves the .local/bin symlinks' targets too).
runs() {
  local pid=$1 name=$2 exe
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  [[ "$(basename "${exe% (deleted)}")" == "$name" ]]
}

# True once PID has exited: no such process, or a zombie (an exited orphan may be re-parented
# to a process that never reaps it).
gone() {
  local st
  st="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 0
  [[ -z "$st" || "$st" == Z || "$st" == X ]]
}

stop() { # pidfile binary-name [signal]
  local file=$1 name=$2 sig=${3:-TERM} pid i
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && runs "$pid" "$name"; then
    kill "-$sig" "$pid" 2>/dev/null
    for i in $(seq 1 100); do gone "$pid" && break; sleep 0.1; done
    if ! gone "$pid"; then
      echo "cluster-down: $name (pid $pid) ignored SIG$sig for 10s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
      for i in $(seq 1 50); do gone "$pid" && break; sleep 0.1; done
    fi
  fi
  rm -f "$file"
}

stop "$DIR/controller-manager.pid" kube-controller-manager
# apiserver first, so it does not log a storm of etcd connection errors while shutting down.
# Without etcd the apiserver's graceful shutdown only waits out its timeouts; the data is
# thrown away either way, so then it is killed at once.
etcd_pid="$(cat "$DIR/etcd.pid" 2>/dev/null)"
if [[ "$etcd_pid" =~ ^[0-9]+$ ]] && runs "$etcd_pid" etcd && ! gone "$etcd_pid"; then
  stop "$DIR/apiserver.pid" kube-apiserver
else
  stop "$DIR/apiserver.pid" kube-apiserver KILL
fi
stop "$DIR/etcd.pid" etcd
# Only what cluster-up.sh (and test/support/cluster.ts: sa-*.kubeconfig) writes, never a
# caller-chosen directory wholesale; the directory goes when nothing else is left in it.
rm -rf "$DIR/pki" "$DIR/etcd" "$DIR/kubecache" "$DIR"/sa-*.kubeconfig
rm -f "$DIR/kubeconfig" "$DIR/cluster.json" "$DIR/env" "$DIR/etcd.log" "$DIR/apiserver.log" "$DIR/controller-manager.log"
rmdir "$DIR" 2>/dev/null
[[ $default_instance == 1 ]] && rm -f "$ROOT/.local/kubeconfig"
exit 0
