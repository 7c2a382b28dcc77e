# Shared helpers for scripts/openstack-*.sh. Sourced, not executed.
# Every service binds 127.0.0.1; all state lives under $OSTEST_DIR.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OSTEST_DIR="${OSTEST_DIR:-$REPO_ROOT/.local/openstack}"
OSTEST_ADMIN_PASSWORD="${OSTEST_ADMIN_PASSWORD:-admin-secret}"
OSTEST_DEMO_PASSWORD="${OSTEST_DEMO_PASSWORD:-demo-secret}"
# Service users (neutron, later nova/placement/glance) share one password; loopback only.
OSTEST_SERVICE_PASSWORD="${OSTEST_SERVICE_PASSWORD:-service-secret}"
OSTEST_KEYSTONE_PORT="${OSTEST_KEYSTONE_PORT:-5000}"
OSTEST_NEUTRON_PORT="${OSTEST_NEUTRON_PORT:-9696}"
OSTEST_REGION="${OSTEST_REGION:-RegionOne}"
# The Debian modules are invisible to a pyenv python3 on PATH: always the system one.
PY=/usr/bin/python3
KEYSTONE_URL="http://127.0.0.1:${OSTEST_KEYSTONE_PORT}"
NEUTRON_URL="http://127.0.0.1:${OSTEST_NEUTRON_PORT}"

# pyenv / virtualenv variables would leak into the Debian python and uwsgi's embedded one.
unset PYTHONHOME PYTHONPATH VIRTUAL_ENV PYENV_VERSION || true

log() { printf '[openstack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }

# pid_alive NAME: true when run/NAME.pid names a live process that is ours (its command line
# mentions our state dir), so a recycled PID is never mistaken for a service.
pid_alive() {
  local f="$OSTEST_DIR/run/$1.pid" pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$OSTEST_DIR"
}

# wait_http URL SECONDS NAME LOGFILE: poll until the URL answers with any HTTP status.
wait_http() {
  local url=$1 secs=$2 name=$3 logf=$4 deadline
  deadline=$(( $(date +%s) + secs ))
  until curl -s -o /dev/null --max-time 2 "$url"; do
    if (( $(date +%s) > deadline )); then
      log "$name did not answer on $url within ${secs}s; last log lines:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    if ! pid_alive "$name"; then
      log "$name exited during start-up; last log lines:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

# require_port_free PORT NAME: another listener there would answer our health checks.
require_port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    die "$2: 127.0.0.1:$1 is already in use by another process (set OSTEST_${2^^}_PORT to move it)"
  fi
}

# sqlite_wal FILE: WAL mode is stored in the DB file; without it Keystone's leaked read
# transactions block commits ("database is locked").
sqlite_wal() { sqlite3 "$1" 'PRAGMA journal_mode=WAL;' >/dev/null; }
