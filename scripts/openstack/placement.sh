# Placement under uwsgi (1 process x 4 threads). Sourced by openstack-up.sh after lib.sh.

placement_configure() {
  local etc="$OSTEST_DIR/etc/placement"
  mkdir -p "$etc" "$OSTEST_DIR/placement"
  { cat <<CONF
[DEFAULT]
use_stderr = true
[api]
auth_strategy = keystone
[placement_database]
connection = sqlite:///$OSTEST_DIR/placement/placement.sqlite
CONF
    keystone_authtoken_section placement
  } >"$etc/placement.conf"
}

placement_db_setup() {
  [[ -f $OSTEST_DIR/placement/.schema ]] && return 0
  log "placement: db sync"
  OS_PLACEMENT_CONFIG_DIR="$OSTEST_DIR/etc/placement" "$PY" /usr/bin/placement-manage \
    --config-file "$OSTEST_DIR/etc/placement/placement.conf" db sync >"$OSTEST_DIR/log/placement-db.log" 2>&1 \
    || { tail -n 20 "$OSTEST_DIR/log/placement-db.log" >&2; die "placement: db sync failed"; }
  sqlite_wal "$OSTEST_DIR/placement/placement.sqlite"
  touch "$OSTEST_DIR/placement/.schema"
}

placement_start() {
  uwsgi_start placement "$OSTEST_PLACEMENT_PORT" 1 4 /usr/bin/placement-api \
    OS_PLACEMENT_CONFIG_DIR="$OSTEST_DIR/etc/placement"
}

placement_wait() { wait_http "$PLACEMENT_URL/" 60 placement "$OSTEST_DIR/log/placement.log"; }
