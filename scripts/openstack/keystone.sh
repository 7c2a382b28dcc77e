# Keystone under uwsgi (1 process x 4 threads). Sourced by openstack-up.sh after lib.sh.

keystone_configure() {
  local etc="$OSTEST_DIR/etc/keystone"
  mkdir -p "$etc" "$OSTEST_DIR/keystone/fernet-keys" "$OSTEST_DIR/keystone/credential-keys"
  cat >"$etc/keystone.conf" <<CONF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$OSTEST_DIR/keystone/keystone.sqlite
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $OSTEST_DIR/keystone/fernet-keys
[fernet_receipts]
key_repository = $OSTEST_DIR/keystone/fernet-keys
[credential]
key_repository = $OSTEST_DIR/keystone/credential-keys
# Without a cache every token validation costs ~150 SQL reads (~1 s); the in-memory backend is
# safe only because Keystone runs as ONE uwsgi process.
[cache]
enabled = true
backend = dogpile.cache.memory
CONF
}

keystone_manage() {
  "$PY" /usr/bin/keystone-manage --config-file "$OSTEST_DIR/etc/keystone/keystone.conf" "$@" \
    >>"$OSTEST_DIR/log/keystone-manage.log" 2>&1 \
    || { tail -n 20 "$OSTEST_DIR/log/keystone-manage.log" >&2; die "keystone-manage $1 failed"; }
}

keystone_db_setup() {
  [[ -f $OSTEST_DIR/keystone/.bootstrapped ]] && return 0
  log "keystone: db_sync, fernet/credential keys, bootstrap"
  keystone_manage db_sync
  sqlite_wal "$OSTEST_DIR/keystone/keystone.sqlite"
  keystone_manage fernet_setup --keystone-user root --keystone-group root
  keystone_manage credential_setup --keystone-user root --keystone-group root
  keystone_manage bootstrap --bootstrap-password "$OSTEST_ADMIN_PASSWORD" \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-region-id "$OSTEST_REGION" \
    --bootstrap-admin-url "$KEYSTONE_URL/v3/" --bootstrap-internal-url "$KEYSTONE_URL/v3/" \
    --bootstrap-public-url "$KEYSTONE_URL/v3/"
  touch "$OSTEST_DIR/keystone/.bootstrapped"
}

keystone_start() {
  if pid_alive keystone; then log "keystone: already running (pid $(<"$OSTEST_DIR/run/keystone.pid"))"; return 0; fi
  require_port_free "$OSTEST_KEYSTONE_PORT" keystone
  log "keystone: starting uwsgi on $KEYSTONE_URL"
  # --die-on-term: uwsgi 2.0 otherwise treats SIGTERM as "reload".
  # Connection: close: keystonemiddleware reuses sockets uwsgi already closed (RemoteDisconnected).
  OS_KEYSTONE_CONFIG_DIR="$OSTEST_DIR/etc/keystone" \
  OS_KEYSTONE_CONFIG_FILES="$OSTEST_DIR/etc/keystone/keystone.conf" \
  setsid nohup uwsgi --plugin python3 --http-socket "127.0.0.1:$OSTEST_KEYSTONE_PORT" \
    --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 1 --threads 4 \
    --die-on-term --need-app --lazy-apps --add-header 'Connection: close' \
    --logto "$OSTEST_DIR/log/keystone.log" \
    >"$OSTEST_DIR/log/keystone.out" 2>&1 </dev/null &
  echo $! >"$OSTEST_DIR/run/keystone.pid"
}

keystone_wait() { wait_http "$KEYSTONE_URL/v3" 60 keystone "$OSTEST_DIR/log/keystone.log"; }
