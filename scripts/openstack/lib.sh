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

# pid_alive NAME: true when run/NAME.pid names a live process that is ours (its command line
# mentions our state dir, or it was started with OSTEST_DIR=<ours> in its environment, as the
# rabbitmq wrapper and epmd are), so a recycled PID is never mistaken for a service.
pid_alive() {
  local f="$OSTEST_DIR/run/$1.pid" pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ -r /proc/$pid/cmdline ]] || return 1
  # (2>/dev/null first: the process may exit between the test above and the read)
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$OSTEST_DIR" && return 0
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF -- "OSTEST_DIR=$OSTEST_DIR"
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
  env "$@" OSTEST_DIR="$OSTEST_DIR" nohup uwsgi --plugin python3 --http-socket "127.0.0.1:$port" \
    --wsgi-file "$wsgi" --master --processes "$procs" --threads "$threads" \
    --die-on-term --need-app --lazy-apps --add-header 'Connection: close' \
    --logto "$OSTEST_DIR/log/$name.log" \
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
