# Shared helpers for scripts/openstack-*.sh. Sourced, not executed.
# Every service binds 127.0.0.1; all state lives under $OSTEST_DIR.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OSTEST_DIR="${OSTEST_DIR:-$REPO_ROOT/.local/openstack}"
OSTEST_ADMIN_PASSWORD="${OSTEST_ADMIN_PASSWORD:-admin-secret}"
OSTEST_DEMO_PASSWORD="${OSTEST_DEMO_PASSWORD:-demo-secret}"
# Service users (neutron, later nova/placement/glance) share one password; loopback only.
OSTEST_SERVICE_PASSWORD="${OSTEST_SERVICE_PASSWORD:-service-secret}"
OSTEST_ALT_PASSWORD="${OSTEST_ALT_PASSWORD:-alt-secret}"
OSTEST_KEYSTONE_PORT="${OSTEST_KEYSTONE_PORT:-5000}"
OSTEST_NEUTRON_PORT="${OSTEST_NEUTRON_PORT:-9696}"
# OSTEST_NOVA=0: the light Keystone + Neutron variant (no RabbitMQ, Placement, Glance, Nova).
OSTEST_NOVA="${OSTEST_NOVA:-1}"
OSTEST_NOVA_PORT="${OSTEST_NOVA_PORT:-8774}"
OSTEST_PLACEMENT_PORT="${OSTEST_PLACEMENT_PORT:-8778}"
OSTEST_GLANCE_PORT="${OSTEST_GLANCE_PORT:-9292}"
OSTEST_RABBITMQ_PORT="${OSTEST_RABBITMQ_PORT:-5672}"
OSTEST_RABBITMQ_DIST_PORT="${OSTEST_RABBITMQ_DIST_PORT:-25672}"
OSTEST_EPMD_PORT="${OSTEST_EPMD_PORT:-4369}"
OSTEST_REGION="${OSTEST_REGION:-RegionOne}"
# The Debian modules are invisible to a pyenv python3 on PATH: always the system one.
PY=/usr/bin/python3
KEYSTONE_URL="http://127.0.0.1:${OSTEST_KEYSTONE_PORT}"
NEUTRON_URL="http://127.0.0.1:${OSTEST_NEUTRON_PORT}"
NOVA_URL="http://127.0.0.1:${OSTEST_NOVA_PORT}/v2.1"
PLACEMENT_URL="http://127.0.0.1:${OSTEST_PLACEMENT_PORT}"
GLANCE_URL="http://127.0.0.1:${OSTEST_GLANCE_PORT}"

# pyenv / virtualenv variables would leak into the Debian python and uwsgi's embedded one.
unset PYTHONHOME PYTHONPATH VIRTUAL_ENV PYENV_VERSION || true

log() { printf '[openstack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }

# Every service runs in a process group of its own (started with setsid) whose id is the
# recorded PID, and with OSTEST_DIR=<ours> in its environment; openstack-down signals the group.
export OSTEST_DIR

# proc_ours PID: a live process that is ours (its command line mentions our state dir, or its
# environment has OSTEST_DIR=<ours>), so a recycled PID is never mistaken for a service.
proc_ours() {
  local pid=$1 text
  # No pipes here: `tr | grep -q` under pipefail reads as "not ours" when grep exits early
  # (SIGPIPE). 2>/dev/null first: the process may exit between the test and the read.
  text=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $text == *"$OSTEST_DIR"* ]] && return 0
  text=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ") || return 1
  [[ $'\n'$text$'\n' == *$'\n'"OSTEST_DIR=$OSTEST_DIR"$'\n'* ]]
}

# group_ours PGID: some live member of the process group is ours.
group_ours() {
  local p
  for p in $(pgrep -g "$1" 2>/dev/null); do proc_ours "$p" && return 0; done
  return 1
}

# pid_alive NAME: run/NAME.pid names a live process that is ours.
pid_alive() {
  local f="$OSTEST_DIR/run/$1.pid"
  [[ -s $f ]] || return 1
  proc_ours "$(<"$f")"
}

# wait_tcp PORT SECONDS NAME LOGFILE: poll until something accepts on 127.0.0.1:PORT.
wait_tcp() {
  local port=$1 secs=$2 name=$3 logf=$4 deadline
  deadline=$(( $(date +%s) + secs ))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if (( $(date +%s) > deadline )) || ! pid_alive "$name"; then
      log "$name is not listening on 127.0.0.1:$port (waited up to ${secs}s); last log lines:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

# uwsgi_start NAME PORT PROCS THREADS WSGI_FILE [ENV=VALUE...]: one WSGI service under uwsgi.
# --die-on-term: uwsgi 2.0 otherwise treats SIGTERM as "reload".
# Connection: close: keystonemiddleware reuses sockets uwsgi already closed (RemoteDisconnected).
uwsgi_start() {
  local name=$1 port=$2 procs=$3 threads=$4 wsgi=$5; shift 5
  if pid_alive "$name"; then log "$name: already running (pid $(<"$OSTEST_DIR/run/$name.pid"))"; return 0; fi
  require_port_free "$port" "$name"
  log "$name: starting uwsgi on 127.0.0.1:$port"
  env "$@" OSTEST_DIR="$OSTEST_DIR" setsid nohup uwsgi --plugin python3 --http-socket "127.0.0.1:$port" \
    --wsgi-file "$wsgi" --master --processes "$procs" --threads "$threads" \
    --die-on-term --need-app --lazy-apps --add-header 'Connection: close' \
    --worker-reload-mercy 5 --logto "$OSTEST_DIR/log/$name.log" \
    >"$OSTEST_DIR/log/$name.out" 2>&1 </dev/null &
  echo $! >"$OSTEST_DIR/run/$name.pid"
}

# keystone_authtoken_section USER: the [keystone_authtoken] block of a service's config.
keystone_authtoken_section() {
  cat <<CONF
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL/v3
auth_url = $KEYSTONE_URL/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $OSTEST_SERVICE_PASSWORD
region_name = $OSTEST_REGION
CONF
}

# paste_file NAME: api-paste.ini of Nova / glance-api-paste.ini of Glance exist only in
# nova-common / glance-common, which pull in dbconfig-common and init scripts: download the .deb
# once, extract the one file, never install the package.
paste_file() {
  local want=$1 pkg dest="$OSTEST_DIR/pkg"
  case $want in
    api-paste.ini) pkg=nova-common ;;
    glance-api-paste.ini) pkg=glance-common ;;
    *) die "paste_file: unknown $want" ;;
  esac
  if [[ ! -s $dest/$want ]]; then
    mkdir -p "$dest/tmp"
    log "$pkg: apt-get download for $want (the package is not installed)"
    (cd "$dest/tmp" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed (needs the Debian mirror once)"
    dpkg-deb -x "$dest"/tmp/"$pkg"_*.deb "$dest/tmp/x"
    cp "$(find "$dest/tmp/x" -name "$want" | head -n1)" "$dest/$want"
    rm -rf "$dest/tmp"
  fi
  cat "$dest/$want"
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

# write_sqlite_hook: $OSTEST_DIR/pyhooks/sitecustomize.py, put on PYTHONPATH of Nova and Neutron
# only. Never Keystone: its leaked sessions would then hold the write lock (30 s stalls, then 500).
write_sqlite_hook() {
  mkdir -p "$OSTEST_DIR/pyhooks"
  # SQLite in WAL mode answers SQLITE_BUSY at once when a deferred transaction upgrades from
  # read to write (8 parallel DELETEs → 3 × "database is locked"). BEGIN IMMEDIATE takes the
  # write lock up front and then waits on the busy timeout. Installed lazily, when oslo.db's
  # engines module is first imported, so eventlet's monkey-patching still comes first.
  cat >"$OSTEST_DIR/pyhooks/sitecustomize.py" <<'PYEOF'
import importlib.abc
import importlib.util
import sys

_TARGET = "oslo_db.sqlalchemy.engines"


def _patch(engines):
    orig = engines.create_engine

    def create_engine(*args, **kwargs):
        engine = orig(*args, **kwargs)
        if engine.dialect.name == "sqlite":
            from sqlalchemy import event

            @event.listens_for(engine, "before_cursor_execute", retval=True)
            def _immediate(conn, cursor, statement, params, context, executemany):
                if statement == "BEGIN":
                    cursor.execute("PRAGMA busy_timeout = 30000")
                    statement = "BEGIN IMMEDIATE"
                return statement, params
        return engine

    engines.create_engine = create_engine


class _Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def patched(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = patched
        return spec


sys.meta_path.insert(0, _Hook())
PYEOF
}
