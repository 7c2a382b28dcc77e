#!/usr/bin/env bash
# Start a real OpenStack from Debian's packages on 127.0.0.1: Keystone (uwsgi), neutron-server
# (ML2), and unless OSTEST_NOVA=0 (or --no-nova) also RabbitMQ, Placement, Glance and Nova
# (api, conductor, scheduler, and two nova-compute hosts with fake.FakeDriver). See test/e2e-openstack/README.md.
# Idempotent: services already running are left alone; state persists in $OSTEST_DIR
# (default .local/openstack), so a second start is warm. Prints the OS_* variables.
#   OSTEST_DIR, OSTEST_ADMIN_PASSWORD, OSTEST_DEMO_PASSWORD, OSTEST_ALT_PASSWORD, OSTEST_SKIP_APT=1,
#   OSTEST_NOVA (1), OSTEST_{KEYSTONE,NEUTRON,NOVA,PLACEMENT,GLANCE,RABBITMQ}_PORT
# Layout: scripts/openstack/<service>.sh each define <service>_configure / _db_setup / _start /
# _wait; adding a service is another file and another line in SERVICES.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=openstack/lib.sh
source "$HERE/openstack/lib.sh"

for arg in "$@"; do
  case $arg in
    --no-nova) OSTEST_NOVA=0 ;;
    *) die "unknown argument $arg (usage: openstack-up.sh [--no-nova])" ;;
  esac
done

SERVICES=(keystone neutron)
PACKAGES=(python3-keystone python3-neutron uwsgi-core uwsgi-plugin-python3 sqlite3 curl jq)
MODULES=keystone,neutron,keystonemiddleware
if [[ $OSTEST_NOVA == 1 ]]; then
  SERVICES+=(rabbitmq placement glance nova)
  PACKAGES+=(python3-nova python3-placement python3-glance rabbitmq-server)
  MODULES+=,nova,placement,glance
fi

# policy-rc.d (exit 101) keeps rabbitmq-server's postinst from starting a broker on 0.0.0.0;
# created only when absent, and removed again.
apt_install() {
  local made=0 rc=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made=1
  fi
  nice apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"${TMPDIR:-/tmp}/ostest-apt.log" 2>&1 || rc=$?
  (( made )) && rm -f /usr/sbin/policy-rc.d
  return $rc
}

install_packages() {
  if "$PY" -c "import $MODULES" 2>/dev/null \
     && { [[ $OSTEST_NOVA != 1 ]] || [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; } \
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
  apt_install \
    || { tail -n 30 "${TMPDIR:-/tmp}/ostest-apt.log" >&2; die "apt-get install failed"; }
  log "packages installed in $(( ($(now_ms) - t0) / 1000 )) s"
}

for s in "${SERVICES[@]}"; do source "$HERE/openstack/$s.sh"; done

T0=$(now_ms)
install_packages
mkdir -p "$OSTEST_DIR"/{etc,log,run}
# 711: the rabbitmq user must reach its own directory; secrets below are 600 files.
chmod 711 "$OSTEST_DIR"
export KEYSTONE_URL NEUTRON_URL NOVA_URL PLACEMENT_URL GLANCE_URL OSTEST_REGION OSTEST_NOVA \
  OSTEST_ADMIN_PASSWORD OSTEST_DEMO_PASSWORD OSTEST_ALT_PASSWORD OSTEST_SERVICE_PASSWORD
nova=$([[ $OSTEST_NOVA == 1 ]] && echo 1 || true)

keystone_configure
keystone_db_setup
keystone_start
neutron_configure
# Schemas do not need Keystone: build them while Keystone (and RabbitMQ) start.
neutron_db_setup
if [[ $nova ]]; then
  rabbitmq_configure
  rabbitmq_start
  placement_configure
  placement_db_setup
  glance_configure
  glance_db_setup
  nova_configure
  nova_db_setup
fi
keystone_wait
neutron_start
if [[ $nova ]]; then
  placement_start
  glance_start
  nova_start nova-api
fi
"$PY" "$HERE/openstack/provision.py" keystone
if [[ $nova ]]; then
  placement_wait
  rabbitmq_wait
  nova_start nova-conductor nova-scheduler nova-compute nova-compute-2
fi
neutron_wait
"$PY" "$HERE/openstack/provision.py" neutron
"$PY" "$HERE/openstack/provision.py" networks
if [[ $nova ]]; then
  glance_wait
  nova_wait
  nova_discover_hosts
  "$PY" "$HERE/openstack/provision.py" nova
fi
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
write_openrc alt "$OSTEST_ALT_PASSWORD" alt

log "up in $(( ($(now_ms) - T0) / 1000 )) s: keystone $KEYSTONE_URL, neutron $NEUTRON_URL${nova:+, nova $NOVA_URL, glance $GLANCE_URL, placement $PLACEMENT_URL} (state $OSTEST_DIR)"
cat "$OSTEST_DIR/openrc-admin"
echo "export OSTEST_DIR=$OSTEST_DIR"
