# neutron-server (eventlet, ML2 with the `test` mechanism driver, fake RPC transport).
# Sourced by openstack-up.sh after lib.sh.

neutron_configure() {
  local etc="$OSTEST_DIR/etc/neutron"
  mkdir -p "$etc" "$OSTEST_DIR/neutron/lock"
  # Nova's compute binding ports while the API writes: deferred transactions upgrading to write
  # got "database is locked" (HTTP 500 on PUT /ports) without BEGIN IMMEDIATE.
  write_sqlite_hook
  cat >"$etc/neutron.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $OSTEST_NEUTRON_PORT
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
# No agents and no message bus: RPC goes nowhere.
transport_url = fake:/
api_workers = 0
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_paste_config = $etc/api-paste.ini
state_path = $OSTEST_DIR/neutron
use_stderr = true
[database]
connection = sqlite:///$OSTEST_DIR/neutron/neutron.sqlite
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL/v3
auth_url = $KEYSTONE_URL/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = $OSTEST_SERVICE_PASSWORD
region_name = $OSTEST_REGION
[oslo_concurrency]
lock_path = $OSTEST_DIR/neutron/lock
[quotas]
quota_port = -1
quota_network = -1
quota_subnet = -1
quota_floatingip = -1
quota_router = -1
CONF
  # The `test` mechanism driver ships with python3-neutron's unit tests; it binds ports whose
  # binding:host_id is host-ovs-filter-active (needs python -O: its asserts fail on updates).
  cat >"$etc/ml2_conf.ini" <<CONF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = test
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
CONF
  cat >"$etc/api-paste.ini" <<'CONF'
[composite:neutron]
use = egg:Paste#urlmap
/: neutronversions_composite
/v2.0: neutronapi_v2_0

[composite:neutronapi_v2_0]
use = call:neutron.auth:pipeline_factory
noauth = cors http_proxy_to_wsgi request_id catch_errors extensions neutronapiapp_v2_0
keystone = cors http_proxy_to_wsgi request_id catch_errors authtoken keystonecontext extensions neutronapiapp_v2_0

[composite:neutronversions_composite]
use = call:neutron.auth:pipeline_factory
noauth = cors http_proxy_to_wsgi neutronversions
keystone = cors http_proxy_to_wsgi neutronversions

[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory

[filter:catch_errors]
paste.filter_factory = oslo_middleware:CatchErrors.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = neutron

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory

[filter:keystonecontext]
paste.filter_factory = neutron.auth:NeutronKeystoneContext.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory

[filter:extensions]
paste.filter_factory = neutron.api.extensions:plugin_aware_extension_middleware_factory

[app:neutronversions]
paste.app_factory = neutron.pecan_wsgi.app:versions_factory

[app:neutronapiapp_v2_0]
paste.app_factory = neutron.api.v2.router:APIRouter.factory
CONF
}

neutron_conf_args() { echo --config-file "$OSTEST_DIR/etc/neutron/neutron.conf" --config-file "$OSTEST_DIR/etc/neutron/ml2_conf.ini"; }

neutron_db_setup() {
  [[ -f $OSTEST_DIR/neutron/.schema ]] && return 0
  log "neutron: schema from the models (create_all) + alembic stamp heads"
  # Alembic migrations fail on sqlite (ALTER of constraints), so build from the models.
  "$PY" - "$OSTEST_DIR/neutron/neutron.sqlite" <<'PYEOF'
import sys
import sqlalchemy as sa
from neutron.db.migration.models import head
engine = sa.create_engine('sqlite:///' + sys.argv[1])
head.get_metadata().create_all(engine)
PYEOF
  sqlite_wal "$OSTEST_DIR/neutron/neutron.sqlite"
  # shellcheck disable=SC2046
  "$PY" -c 'import sys; from neutron.db.migration.cli import main; sys.exit(main())' \
    $(neutron_conf_args) stamp heads >"$OSTEST_DIR/log/neutron-db.log" 2>&1 \
    || { tail -n 20 "$OSTEST_DIR/log/neutron-db.log" >&2; die "neutron: alembic stamp failed"; }
  touch "$OSTEST_DIR/neutron/.schema"
}

neutron_start() {
  if pid_alive neutron; then log "neutron: already running (pid $(<"$OSTEST_DIR/run/neutron.pid"))"; return 0; fi
  require_port_free "$OSTEST_NEUTRON_PORT" neutron
  log "neutron: starting neutron-server on $NEUTRON_URL"
  # shellcheck disable=SC2046
  OSTEST_DIR="$OSTEST_DIR" PYTHONPATH="$OSTEST_DIR/pyhooks" \
  setsid nohup "$PY" -O -c 'import sys; from neutron.cmd.eventlet.server import main; sys.exit(main())' \
    $(neutron_conf_args) --log-file "$OSTEST_DIR/log/neutron.log" \
    >"$OSTEST_DIR/log/neutron.out" 2>&1 </dev/null &
  echo $! >"$OSTEST_DIR/run/neutron.pid"
}

neutron_wait() { wait_http "$NEUTRON_URL/" 120 neutron "$OSTEST_DIR/log/neutron.log"; }
