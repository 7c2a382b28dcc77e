#!/usr/bin/env bash
# Start a real Keystone (uwsgi) and neutron-server (ML2) from Debian's packages on 127.0.0.1.
# Idempotent: services already running are left alone; state persists in $OSTEST_DIR
# (default .local/openstack), so a second start is warm. Prints the OS_* variables.
#   OSTEST_DIR, OSTEST_ADMIN_PASSWORD, OSTEST_DEMO_PASSWORD, OSTEST_SKIP_APT=1,
#   OSTEST_KEYSTONE_PORT (5000), OSTEST_NEUTRON_PORT (9696)
# Layout: scripts/openstack/<service>.sh each define <service>_configure / _db_setup / _start /
# _wait; adding Nova, Placement or Glance is another file and another line in SERVICES.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=openstack/lib.sh
source "$HERE/openstack/lib.sh"

SERVICES=(keystone neutron)
PACKAGES=(python3-keystone python3-neutron uwsgi-core uwsgi-plugin-python3 sqlite3 curl jq)

install_packages() {
  if "$PY" -c 'import keystone, neutron, keystonemiddleware' 2>/dev/null \
     && command -v uwsgi >/dev/null && [[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]] \
     && command -v sqlite3 >/dev/null && command -v curl >/dev/null && command -v jq >/dev/null; then
    return 0
  fi
  [[ ${OSTEST_SKIP_APT:-0} == 1 ]] && die "packages missing and OSTEST_SKIP_APT=1: ${PACKAGES[*]}"
  [[ $(id -u) == 0 ]] || die "packages missing; install them as root: apt-get install --no-install-recommends ${PACKAGES[*]}"
  log "installing Debian packages (a few minutes the first time): ${PACKAGES[*]}"
  local t0; t0=$(now_ms)
  export DEBIAN_FRONTEND=noninteractive
  nice apt-get update -qq
  nice apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"${TMPDIR:-/tmp}/ostest-apt.log" 2>&1 \
    || { tail -n 30 "${TMPDIR:-/tmp}/ostest-apt.log" >&2; die "apt-get install failed"; }
  log "packages installed in $(( ($(now_ms) - t0) / 1000 )) s"
}

for s in "${SERVICES[@]}"; do source "$HERE/openstack/$s.sh"; done

T0=$(now_ms)
install_packages
mkdir -p "$OSTEST_DIR"/{etc,log,run}
chmod 700 "$OSTEST_DIR"
export KEYSTONE_URL NEUTRON_URL OSTEST_REGION OSTEST_ADMIN_PASSWORD OSTEST_DEMO_PASSWORD OSTEST_SERVICE_PASSWORD

keystone_configure
keystone_db_setup
keystone_start
neutron_configure
# Neutron's schema does not need Keystone: build it while Keystone starts.
neutron_db_setup
keystone_wait
"$PY" "$HERE/openstack/provision.py" keystone
neutron_start
neutron_wait
"$PY" "$HERE/openstack/provision.py" neutron
(umask 077; "$PY" "$HERE/openstack/provision.py" envjson >"$OSTEST_DIR/env.json")

write_openrc() { # user password project
  (umask 077; cat >"$OSTEST_DIR/openrc-$1" <<RC
export OS_AUTH_URL=$KEYSTONE_URL/v3
export OS_USERNAME=$1
export OS_PASSWORD=$2
export OS_PROJECT_NAME=$3
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$OSTEST_REGION
export OS_IDENTITY_API_VERSION=3
RC
  )
}
write_openrc admin "$OSTEST_ADMIN_PASSWORD" admin
write_openrc demo "$OSTEST_DEMO_PASSWORD" demo

log "up in $(( ($(now_ms) - T0) / 1000 )) s: keystone $KEYSTONE_URL, neutron $NEUTRON_URL (state $OSTEST_DIR)"
cat "$OSTEST_DIR/openrc-admin"
echo "export OSTEST_DIR=$OSTEST_DIR"
