# Nova: api (uwsgi, 2 processes x 1 thread), conductor, scheduler and compute (eventlet,
# compute_driver=fake.FakeDriver). Sourced by openstack-up.sh after lib.sh.
# Every Nova process gets the BEGIN IMMEDIATE sitecustomize (OPENSTACK.md §3.7; lib.sh).

NOVA_HOST=host-ovs-filter-active   # a host the ML2 `test` mech driver binds ports for (ACTIVE)
# A second fake compute host, so the scheduler has a choice and a server group's anti-affinity
# can be honoured (two members on two hosts) and refused (a third: NoValidHost). Its name is
# the other one the `test` driver binds (OVS, port left DOWN: nothing here waits for ACTIVE).
NOVA_HOST2=host-ovs-no_filter
NOVA_HOSTS=("$NOVA_HOST" "$NOVA_HOST2")
NOVA_DAEMONS=(nova-conductor nova-scheduler nova-compute nova-compute-2)

nova_configure() {
  local etc="$OSTEST_DIR/etc/nova" n="$OSTEST_DIR/nova"
  mkdir -p "$etc" "$n/instances" "$n/lock"
  { cat <<CONF
[DEFAULT]
host = $NOVA_HOST
my_ip = 127.0.0.1
state_path = $n
instances_path = $n/instances
transport_url = rabbit://guest:guest@127.0.0.1:$OSTEST_RABBITMQ_PORT/
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
osapi_compute_workers = 1
use_stderr = true
# oslo.service waits up to 60 s for RPC handlers on SIGTERM; openstack-down waits 10 s.
graceful_shutdown_timeout = 5
# The fake driver plugs nothing, so nothing waits for vif events; Neutron does not notify Nova.
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
# The fake driver reports 8 vCPU / 8000 MB / 500 GB: overcommit so tests can boot hundreds.
cpu_allocation_ratio = 100.0
ram_allocation_ratio = 100.0
disk_allocation_ratio = 100.0
# Two nova-computes write their first inventory to Placement (SQLite) at once; a write that fails
# (a 500 from a locked database) is only retried at the next resource update: every 10 s, not 60.
update_resources_interval = 10
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $etc/api-paste.ini
[api_database]
connection = sqlite:///$n/nova_api.sqlite
[database]
connection = sqlite:///$n/nova.sqlite
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 10
[oslo_concurrency]
lock_path = $n/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
# Quotas unlimited by default; a test lowers them per project through os-quota-sets.
[quota]
instances = -1
cores = -1
ram = -1
[placement]
auth_type = password
auth_url = $KEYSTONE_URL/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $OSTEST_SERVICE_PASSWORD
region_name = $OSTEST_REGION
[neutron]
auth_type = password
auth_url = $KEYSTONE_URL/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $OSTEST_SERVICE_PASSWORD
region_name = $OSTEST_REGION
[glance]
region_name = $OSTEST_REGION
[cinder]
os_region_name = $OSTEST_REGION
CONF
    keystone_authtoken_section nova
  } >"$etc/nova.conf"
  # nova-compute-2 reads nova.conf and then this (a later --config-file wins).
  printf '[DEFAULT]\nhost = %s\n' "$NOVA_HOST2" >"$etc/nova-compute-2.conf"
  paste_file api-paste.ini >"$etc/api-paste.ini"
  cat >"$etc/nova-api.wsgi" <<'PYEOF'
from nova.api.openstack.compute.wsgi import init_application
application = init_application()
PYEOF
  write_sqlite_hook
}

nova_env() { echo OSTEST_DIR="$OSTEST_DIR" PYTHONPATH="$OSTEST_DIR/pyhooks"; }

nova_manage() {
  # shellcheck disable=SC2046
  env $(nova_env) "$PY" -c 'import sys; from nova.cmd.manage import main; sys.exit(main())' \
    --config-file "$OSTEST_DIR/etc/nova/nova.conf" "$@" >>"$OSTEST_DIR/log/nova-manage.log" 2>&1
}

nova_db_setup() {
  local n="$OSTEST_DIR/nova" rc
  [[ -f $n/.schema ]] && return 0
  log "nova: api_db sync, cell0 + cell1, db sync"
  nova_manage api_db sync || { tail -n 20 "$OSTEST_DIR/log/nova-manage.log" >&2; die "nova: api_db sync failed"; }
  nova_manage cell_v2 map_cell0 --database_connection "sqlite:///$n/nova_cell0.sqlite" \
    || { tail -n 20 "$OSTEST_DIR/log/nova-manage.log" >&2; die "nova: map_cell0 failed"; }
  rc=0; nova_manage cell_v2 create_cell --name cell1 || rc=$?
  # 2 = a cell with that name/URL exists already (a re-run after a partial setup).
  (( rc == 0 || rc == 2 )) || { tail -n 20 "$OSTEST_DIR/log/nova-manage.log" >&2; die "nova: create_cell failed"; }
  nova_manage db sync || { tail -n 20 "$OSTEST_DIR/log/nova-manage.log" >&2; die "nova: db sync failed"; }
  for db in nova_api nova_cell0 nova; do sqlite_wal "$n/$db.sqlite"; done
  touch "$n/.schema"
}

# nova_start [SERVICE...]: the named Nova services (default all). conductor and scheduler log in
# to Placement at start (a 401 before the nova user exists is fatal) and nova-compute creates its
# resource provider at start, so the caller starts those once Keystone is provisioned and
# Placement answers; only nova-api may start earlier.
nova_start() {
  local d mod list=("$@")
  (( ${#list[@]} )) || list=(nova-api "${NOVA_DAEMONS[@]}")
  for d in "${list[@]}"; do
    if [[ $d == nova-api ]]; then
      # shellcheck disable=SC2046
      uwsgi_start nova-api "$OSTEST_NOVA_PORT" 2 1 "$OSTEST_DIR/etc/nova/nova-api.wsgi" \
        OS_NOVA_CONFIG_DIR="$OSTEST_DIR/etc/nova" $(nova_env)
      continue
    fi
    if pid_alive "$d"; then log "$d: already running (pid $(<"$OSTEST_DIR/run/$d.pid"))"; continue; fi
    mod=${d#nova-}
    local extra=()
    if [[ $d == nova-compute-2 ]]; then mod=compute; extra=(--config-file "$OSTEST_DIR/etc/nova/nova-compute-2.conf"); fi
    log "$d: starting"
    # shellcheck disable=SC2046
    env $(nova_env) setsid nohup "$PY" -c "import sys; from nova.cmd.$mod import main; sys.exit(main())" \
      --config-file "$OSTEST_DIR/etc/nova/nova.conf" "${extra[@]}" --log-file "$OSTEST_DIR/log/$d.log" \
      >"$OSTEST_DIR/log/$d.out" 2>&1 </dev/null &
    echo $! >"$OSTEST_DIR/run/$d.pid"
  done
}

nova_wait() {
  wait_http "http://127.0.0.1:$OSTEST_NOVA_PORT/" 90 nova-api "$OSTEST_DIR/log/nova-api.log"
  local d
  for d in "${NOVA_DAEMONS[@]}"; do
    pid_alive "$d" || { tail -n 30 "$OSTEST_DIR/log/$d.log" >&2; die "$d exited during start-up"; }
  done
}

# nova_wait_inventories: both compute nodes have their inventory in Placement — else the scheduler
# sees one host (anti-affinity's second server is NoValidHost), e.g. after a failed first write.
nova_wait_inventories() {
  local db="$OSTEST_DIR/placement/placement.sqlite" deadline=$(( $(date +%s) + 90 )) h missing
  while :; do
    missing=()
    for h in "${NOVA_HOSTS[@]}"; do
      [[ -n $(sqlite3 "$db" "select 1 from inventories i join resource_providers rp on rp.id = i.resource_provider_id where rp.name = '$h' limit 1" 2>/dev/null) ]] || missing+=("$h")
    done
    (( ${#missing[@]} )) || return 0
    (( $(date +%s) < deadline )) || { tail -n 30 "$OSTEST_DIR/log/nova-compute.log" "$OSTEST_DIR/log/nova-compute-2.log" >&2; die "no Placement inventory for ${missing[*]}"; }
    sleep 1
  done
}

# nova_discover_hosts: map both compute nodes into cell1 once their nova-compute registered them
# (read straight from the SQLite files: a nova-manage call costs ~3 s of Python start-up).
nova_discover_hosts() {
  local n="$OSTEST_DIR/nova" deadline=$(( $(date +%s) + 120 )) h missing registered
  while :; do
    missing=() registered=1
    for h in "${NOVA_HOSTS[@]}"; do
      [[ -n $(sqlite3 "$n/nova_api.sqlite" "select host from host_mappings where host='$h'" 2>/dev/null) ]] && continue
      missing+=("$h")
      [[ -n $(sqlite3 "$n/nova.sqlite" "select host from compute_nodes where host='$h' and deleted=0" 2>/dev/null) ]] || registered=0
    done
    (( ${#missing[@]} )) || { nova_wait_inventories; return 0; }
    (( $(date +%s) < deadline )) || { tail -n 30 "$OSTEST_DIR/log/nova-compute.log" "$OSTEST_DIR/log/nova-compute-2.log" >&2; die "nova-compute never registered ${missing[*]}"; }
    for d in nova-compute nova-compute-2; do
      pid_alive "$d" || { tail -n 30 "$OSTEST_DIR/log/$d.log" >&2; die "$d exited"; }
    done
    if (( registered )); then
      log "nova: cell_v2 discover_hosts (${missing[*]})"
      nova_manage cell_v2 discover_hosts || true
    else
      sleep 1
    fi
  done
}
