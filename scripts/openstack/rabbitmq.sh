# RabbitMQ (Nova's RPC bus) as the rabbitmq user; node, distribution port and epmd on 127.0.0.1.
# Sourced by openstack-up.sh after lib.sh. guest/guest works because every client is local.

rabbitmq_env() {
  local d="$OSTEST_DIR/rabbitmq"
  echo OSTEST_DIR="$OSTEST_DIR" HOME=/var/lib/rabbitmq \
    RABBITMQ_NODENAME=ostest@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$OSTEST_RABBITMQ_PORT" RABBITMQ_DIST_PORT="$OSTEST_RABBITMQ_DIST_PORT" \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$OSTEST_EPMD_PORT" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbit.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
}

rabbitmq_configure() {
  local d="$OSTEST_DIR/rabbitmq"
  mkdir -p "$d/mnesia" "$d/log"
  echo '[].' >"$d/enabled_plugins"
  : >"$d/rabbitmq-env.conf"
  # Distribution bound to loopback too (inet_dist_use_interface), and a fixed dist port.
  cat >"$d/advanced.config" <<CONF
[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].
CONF
  cat >"$d/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$OSTEST_RABBITMQ_PORT
log.console = false
log.file.level = warning
CONF
  chown -R rabbitmq: "$d"
}

rabbitmq_start() {
  if pid_alive rabbitmq; then log "rabbitmq: already running (pid $(<"$OSTEST_DIR/run/rabbitmq.pid"))"; return 0; fi
  require_port_free "$OSTEST_RABBITMQ_PORT" rabbitmq
  # Our own epmd in the foreground, so its PID is recorded and it is stopped with the rest
  # (erl would otherwise daemonize one that outlives the broker).
  if ! pid_alive epmd; then
    require_port_free "$OSTEST_EPMD_PORT" epmd
    # shellcheck disable=SC2046
    env $(rabbitmq_env) setsid nohup setpriv --reuid rabbitmq --regid rabbitmq --init-groups \
      /usr/bin/epmd -address 127.0.0.1 -port "$OSTEST_EPMD_PORT" \
      >"$OSTEST_DIR/log/epmd.out" 2>&1 </dev/null &
    echo $! >"$OSTEST_DIR/run/epmd.pid"
  fi
  log "rabbitmq: starting on 127.0.0.1:$OSTEST_RABBITMQ_PORT"
  # The wrapper script stays as the parent and turns TERM into a clean broker stop.
  # shellcheck disable=SC2046
  env $(rabbitmq_env) setsid nohup setpriv --reuid rabbitmq --regid rabbitmq --init-groups \
    /usr/lib/rabbitmq/bin/rabbitmq-server >"$OSTEST_DIR/log/rabbitmq.log" 2>&1 </dev/null &
  echo $! >"$OSTEST_DIR/run/rabbitmq.pid"
}

rabbitmq_wait() { wait_tcp "$OSTEST_RABBITMQ_PORT" 90 rabbitmq "$OSTEST_DIR/log/rabbitmq.log"; }
