# glance-api (eventlet, workers=0, file store). Sourced by openstack-up.sh after lib.sh.

glance_configure() {
  local etc="$OSTEST_DIR/etc/glance" g="$OSTEST_DIR/glance"
  mkdir -p "$etc" "$g/images" "$g/staging" "$g/tasks" "$g/lock"
  { cat <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $OSTEST_GLANCE_PORT
workers = 0
use_stderr = true
enabled_backends = fs:file
image_cache_dir = $g/cache
[database]
connection = sqlite:///$g/glance.sqlite
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $g/images
[os_glance_staging_store]
filesystem_store_datadir = $g/staging
[os_glance_tasks_store]
filesystem_store_datadir = $g/tasks
[oslo_concurrency]
lock_path = $g/lock
[paste_deploy]
flavor = keystone
config_file = $etc/glance-api-paste.ini
CONF
    keystone_authtoken_section glance
  } >"$etc/glance-api.conf"
  paste_file glance-api-paste.ini >"$etc/glance-api-paste.ini"
}

glance_db_setup() {
  [[ -f $OSTEST_DIR/glance/.schema ]] && return 0
  log "glance: db_sync"
  "$PY" -c 'import sys; from glance.cmd.manage import main; sys.exit(main())' \
    --config-file "$OSTEST_DIR/etc/glance/glance-api.conf" db_sync >"$OSTEST_DIR/log/glance-db.log" 2>&1 \
    || { tail -n 20 "$OSTEST_DIR/log/glance-db.log" >&2; die "glance: db_sync failed"; }
  sqlite_wal "$OSTEST_DIR/glance/glance.sqlite"
  touch "$OSTEST_DIR/glance/.schema"
}

glance_start() {
  if pid_alive glance; then log "glance: already running (pid $(<"$OSTEST_DIR/run/glance.pid"))"; return 0; fi
  require_port_free "$OSTEST_GLANCE_PORT" glance
  log "glance: starting glance-api on $GLANCE_URL"
  setsid nohup "$PY" -c 'import sys; from glance.cmd.api import main; sys.exit(main())' \
    --config-file "$OSTEST_DIR/etc/glance/glance-api.conf" --log-file "$OSTEST_DIR/log/glance.log" \
    >"$OSTEST_DIR/log/glance.out" 2>&1 </dev/null &
  echo $! >"$OSTEST_DIR/run/glance.pid"
}

glance_wait() { wait_http "$GLANCE_URL/" 60 glance "$OSTEST_DIR/log/glance.log"; }
