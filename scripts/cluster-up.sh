#!/usr/bin/env bash
# Starts a real etcd + kube-apiserver (built by scripts/envtest-build.sh) on free loopback ports.
#
# Usage: scripts/cluster-up.sh [--no-crds] [--controller-manager] [INSTANCE_DIR]
#   INSTANCE_DIR defaults to .local/cluster; the default instance also writes .local/kubeconfig.
#   Ports are free ones picked at random unless LBOP_ETCD_PORT, LBOP_ETCD_PEER_PORT or
#   LBOP_APISERVER_PORT set them. LBOP_CLUSTER_START_TIMEOUT (s, default 60) bounds each wait;
#   LBOP_ENVTEST_BIN overrides the binaries' folder (.local/bin).
#   Several instances may run at once, each in its own directory.
#   The control plane is what envtest runs: no kube-controller-manager, so no garbage collection
#   of ownerReferences, namespaces stay Terminating once deleted, and the aggregated ClusterRoles
#   (admin/edit/view) have no rules. --controller-manager adds a kube-controller-manager running
#   just those controllers (namespace, garbage collector, ClusterRole aggregation, ServiceAccount,
#   kube-root-ca.crt publisher); build it first with scripts/envtest-build.sh --with-controller-manager.
#
# The instance directory receives:
#   pki/                 CA, apiserver serving cert, admin client cert (O=system:masters), SA key pair
#   etcd/                etcd data (fsync disabled: test data only)
#   kubeconfig           admin kubeconfig
#   etcd.pid apiserver.pid, etcd.log apiserver.log
#   cluster.json         {"kubeconfig","server","etcdURL","dir"} (read by test/support/cluster.ts)
#   kubecache/           kubectl discovery cache of this instance (use --cache-dir or KUBECACHEDIR)
#   env                  LBOP_TEST_KUBECONFIG / LBOP_TEST_ETCD_URL / LBOP_TEST_CLUSTER_DIR exports
# Every failure prints one line "cluster-up: <what went wrong>; <how to fix>" and stops what it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS=("$@")
ATTEMPT="${LBOP_CLUSTER_UP_ATTEMPT:-1}"
BIN="${LBOP_ENVTEST_BIN:-$ROOT/.local/bin}"
START_TIMEOUT="${LBOP_CLUSTER_START_TIMEOUT:-60}" # seconds, per phase

install_crds=1
with_kcm=0
dir=""
for arg in "$@"; do
  case "$arg" in
    --no-crds) install_crds=0 ;;
    --controller-manager) with_kcm=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    -*) echo "cluster-up: unknown option $arg; usage: scripts/cluster-up.sh [--no-crds] [--controller-manager] [INSTANCE_DIR]" >&2; exit 2 ;;
    *) dir="$arg" ;;
  esac
done
default_instance=0
if [[ -z "$dir" ]]; then dir="$ROOT/.local/cluster"; default_instance=1; fi
mkdir -p "$dir"
DIR="$(cd "$dir" && pwd)"

started=0
fail() {
  echo "cluster-up: $*" >&2
  if [[ $started == 1 ]]; then "$ROOT/scripts/cluster-down.sh" "$DIR" >/dev/null 2>&1 || true; fi
  exit 1
}
now_ms() { date +%s%3N; }
t0=$(now_ms)

for b in etcd kube-apiserver kubectl; do
  [[ -x "$BIN/$b" ]] || fail "$BIN/$b is missing; run 'make envtest' (builds kube-apiserver, etcd and kubectl from the Go module proxy)."
done
if [[ $with_kcm == 1 && ! -x "$BIN/kube-controller-manager" ]]; then
  fail "$BIN/kube-controller-manager is missing; run 'scripts/envtest-build.sh --with-controller-manager' (or drop --controller-manager)."
fi
command -v openssl >/dev/null || fail "openssl is not installed; install it (apt-get install openssl) and retry."
command -v curl >/dev/null || fail "curl is not installed; install it (apt-get install curl) and retry."

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
for p in etcd apiserver controller-manager; do
  if [[ -f "$DIR/$p.pid" ]] && alive "$(cat "$DIR/$p.pid")"; then
    fail "an instance is already running in $DIR ($p pid $(cat "$DIR/$p.pid")); stop it with 'scripts/cluster-down.sh $DIR' (or 'make cluster-down')."
  fi
done
if [[ -e "$DIR/etcd" || -e "$DIR/etcd.pid" ]]; then
  fail "stale instance data in $DIR from an earlier run whose processes are gone; clean it with 'scripts/cluster-down.sh $DIR' (or 'make cluster-down') and retry."
fi

# --- free loopback ports ---------------------------------------------------------------------
# Random ports in a range away from the kernel's ephemeral range, checked against listeners;
# a lost race shows up as "address already in use" and is reported as such below.
port_taken() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . ; }
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    if ! port_taken "$p" && [[ " ${picked:-} " != *" $p "* ]]; then picked="${picked:-} $p"; echo "$p"; return 0; fi
  done
  return 1
}
picked=""
# LBOP_ETCD_PORT / LBOP_ETCD_PEER_PORT / LBOP_APISERVER_PORT pin a port (e.g. for a demo); else a free one.
port_for() { # env-var-name component
  local fixed="${!1:-}"
  if [[ -n "$fixed" ]]; then
    [[ "$fixed" =~ ^[0-9]+$ ]] && (( fixed > 0 && fixed < 65536 )) || fail "$1=$fixed is not a port number; set it to 1-65535 or unset it."
    port_taken "$fixed" && fail "port $fixed ($2) on 127.0.0.1 is already in use; free it ('ss -ltnp sport = :$fixed' shows who holds it) or unset $1 to pick a free port."
    echo "$fixed"; return 0
  fi
  pick_port || fail "no free loopback port found in 20000-32000 for $2; free some ports and retry."
}
ETCD_PORT=$(port_for LBOP_ETCD_PORT etcd) || exit 1
picked+=" $ETCD_PORT"
ETCD_PEER_PORT=$(port_for LBOP_ETCD_PEER_PORT "etcd peer") || exit 1
picked+=" $ETCD_PEER_PORT"
API_PORT=$(port_for LBOP_APISERVER_PORT kube-apiserver) || exit 1
ETCD_URL="http://127.0.0.1:$ETCD_PORT"
SERVER="https://127.0.0.1:$API_PORT"

# --- certificates ----------------------------------------------------------------------------
PKI="$DIR/pki"
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || fail "openssl $1 failed (see $PKI/openssl.log); check the openssl installation."; }
ec_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ec_key "$PKI/ca.key"
ossl req -x509 -new -key "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 -subj "/CN=lbop-test-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
leaf() { # name subject extensions...
  local name=$1 subj=$2; shift 2
  ec_key "$PKI/$name.key"
  ossl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr"
  printf '%s\n' "$@" >"$PKI/$name.ext"
  ossl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt"
}
leaf apiserver "/CN=kube-apiserver" \
  "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
leaf admin "/O=system:masters/CN=lbop-admin" \
  "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key"
ossl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# --- kubeconfig ------------------------------------------------------------------------------
b64() { base64 -w0 <"$1"; }
cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: lbop-test
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: lbop-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: lbop-test
  context: { cluster: lbop-test, user: lbop-admin, namespace: default }
current-context: lbop-test
EOF
chmod 600 "$DIR/kubeconfig" "$PKI"/*.key

# Last log line; for etcd's JSON lines only "msg: error" (the stacktrace is in the log file).
last_line() {
  grep -v '^\s*$' "$1" 2>/dev/null | tail -n 1 |
    sed -E 's/^\{.*"msg":"([^"]*)"(.*"error":"([^"]*)")?.*$/\1: \3/' | cut -c1-300
}
bind_error() { grep -m1 -oE '(listen tcp|bind)[^"]*address already in use' "$1" 2>/dev/null; }
# A port picked as free was taken before etcd/apiserver bound it (another instance starting at
# the same moment): start over with new ports, twice at most; pinned ports are not retried.
bind_failed() { # component, bind error
  if [[ -z "${LBOP_ETCD_PORT:-}${LBOP_ETCD_PEER_PORT:-}${LBOP_APISERVER_PORT:-}" && $ATTEMPT -lt 3 ]]; then
    "$ROOT/scripts/cluster-down.sh" "$DIR" >/dev/null 2>&1 || true
    LBOP_CLUSTER_UP_ATTEMPT=$((ATTEMPT + 1)) exec "$0" "${ORIG_ARGS[@]}"
  fi
  fail "$1 could not bind ($2); free the port (or unset the LBOP_*_PORT pinning it) and retry."
}

# --- etcd ------------------------------------------------------------------------------------
started=1
"$BIN/etcd" --name lbop-test --data-dir "$DIR/etcd" \
  --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "lbop-test=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --quota-backend-bytes 4294967296 \
  --log-level warn \
  </dev/null >"$DIR/etcd.log" 2>&1 &
echo $! >"$DIR/etcd.pid"
ETCD_PID=$!

deadline=$(( $(date +%s) + START_TIMEOUT ))
until [[ "$(curl -sf -m 1 "$ETCD_URL/health" 2>/dev/null)" == *'"health":"true"'* ]]; do
  if ! alive "$ETCD_PID"; then
    if e=$(bind_error "$DIR/etcd.log"); then bind_failed etcd "$e"; fi
    fail "etcd exited during start-up: $(last_line "$DIR/etcd.log") (log: $DIR/etcd.log); run 'scripts/cluster-down.sh $DIR' and retry."
  fi
  (( $(date +%s) < deadline )) || fail "etcd not healthy after ${START_TIMEOUT}s (log: $DIR/etcd.log); check load/disk and retry."
  sleep 0.1
done
t_etcd=$(now_ms)

# --- kube-apiserver --------------------------------------------------------------------------
# Flags: what controller-runtime's envtest passes, plus RBAC and a service-account issuer so
# tests can act as the operator's ServiceAccount via the TokenRequest API. As in envtest, the
# ServiceAccount admission plugin is off: no controller-manager creates the "default" SA, and
# without it every Pod create would be refused.
"$BIN/kube-apiserver" \
  --etcd-servers "$ETCD_URL" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --authorization-mode RBAC \
  --service-account-issuer "$SERVER" \
  --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range 10.0.0.0/24 \
  --allow-privileged=true \
  --disable-admission-plugins ServiceAccount \
  --cert-dir "$PKI" \
  --profiling=false \
  </dev/null >"$DIR/apiserver.log" 2>&1 &
echo $! >"$DIR/apiserver.pid"
API_PID=$!

# Discovery cache inside the instance: ports are new each run, so ~/.kube/cache would only grow.
KCTL=("$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/kubecache")
curl_api() { curl -sf -m 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$SERVER$1"; }
deadline=$(( $(date +%s) + START_TIMEOUT ))
until [[ "$(curl_api /readyz 2>/dev/null)" == "ok" ]]; do
  if ! alive "$ETCD_PID"; then
    fail "etcd crashed while kube-apiserver was starting: $(last_line "$DIR/etcd.log") (log: $DIR/etcd.log); run 'scripts/cluster-down.sh $DIR' and retry."
  fi
  if ! alive "$API_PID"; then
    if e=$(bind_error "$DIR/apiserver.log"); then bind_failed kube-apiserver "$e"; fi
    fail "kube-apiserver exited during start-up: $(last_line "$DIR/apiserver.log") (log: $DIR/apiserver.log)."
  fi
  (( $(date +%s) < deadline )) || fail "kube-apiserver not ready after ${START_TIMEOUT}s (log: $DIR/apiserver.log; 'curl -k $SERVER/readyz?verbose' shows which check waits)."
  sleep 0.1
done
t_api=$(now_ms)

# --- kube-controller-manager (optional) ------------------------------------------------------
if [[ $with_kcm == 1 ]]; then
  "$BIN/kube-controller-manager" --kubeconfig "$DIR/kubeconfig" \
    --controllers namespace-controller,garbage-collector-controller,clusterrole-aggregation-controller,serviceaccount-controller,root-ca-certificate-publisher-controller \
    --leader-elect=false --secure-port 0 --use-service-account-credentials=false \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    </dev/null >"$DIR/controller-manager.log" 2>&1 &
  echo $! >"$DIR/controller-manager.pid"
  KCM_PID=$!
  # It serves no health endpoint here; its ServiceAccount controller creating "default" shows
  # that its informers have synced and controllers run.
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until "${KCTL[@]}" get serviceaccount default -n default -o name >/dev/null 2>&1; do
    alive "$KCM_PID" || fail "kube-controller-manager exited during start-up: $(last_line "$DIR/controller-manager.log") (log: $DIR/controller-manager.log)."
    (( $(date +%s) < deadline )) || fail "kube-controller-manager did not start its controllers within ${START_TIMEOUT}s (log: $DIR/controller-manager.log)."
    sleep 0.2
  done
fi
t_kcm=$(now_ms)

# --- CRDs ------------------------------------------------------------------------------------
shopt -s nullglob
crd_files=("$ROOT"/crds/*.yaml "$ROOT"/crds/*.yml)
crd_count=0
if [[ $install_crds == 1 && ${#crd_files[@]} -gt 0 ]]; then
  args=(); for f in "${crd_files[@]}"; do args+=(-f "$f"); done
  if ! out=$("${KCTL[@]}" apply --server-side --field-manager=cluster-up "${args[@]}" 2>&1); then
    fail "installing crds/ failed: $(echo "$out" | grep -v '^\s*$' | tail -n 1 | cut -c1-400) (fix the CRD manifest and retry)."
  fi
  # Names of the CRDs just applied, with group/version/plural for the discovery check.
  mapfile -t crds < <("${KCTL[@]}" get "${args[@]}" --no-headers \
    -o custom-columns='N:.metadata.name,G:.spec.group,V:.spec.versions[0].name,P:.spec.names.plural')
  for line in "${crds[@]}"; do
    read -r name group version plural <<<"$line"
    [[ -n "${plural:-}" ]] || continue
    if ! out=$("${KCTL[@]}" wait --for=condition=Established "crd/$name" --timeout="${START_TIMEOUT}s" 2>&1); then
      reason=$("${KCTL[@]}" get "crd/$name" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.message}; {end}' 2>/dev/null || true)
      fail "CRD $name did not become Established: ${reason:-$out} (fix crds/ and retry)."
    fi
    deadline=$(( $(date +%s) + START_TIMEOUT ))
    # (captured, not piped into grep -q: with pipefail a SIGPIPE'd curl would fail the check)
    until [[ "$(curl_api "/apis/$group/$version" 2>/dev/null)" =~ \"name\":\ *\"$plural\" ]]; do
      (( $(date +%s) < deadline )) || fail "resource $plural.$group/$version not in discovery after ${START_TIMEOUT}s (log: $DIR/apiserver.log)."
      sleep 0.1
    done
    crd_count=$((crd_count + 1))
  done
fi
t_crds=$(now_ms)

# --- hand-off files --------------------------------------------------------------------------
cat >"$DIR/cluster.json" <<EOF
{"kubeconfig":"$DIR/kubeconfig","server":"$SERVER","etcdURL":"$ETCD_URL","dir":"$DIR"}
EOF
cat >"$DIR/env" <<EOF
export LBOP_TEST_KUBECONFIG='$DIR/kubeconfig'
export LBOP_TEST_ETCD_URL='$ETCD_URL'
export LBOP_TEST_CLUSTER_DIR='$DIR'
export KUBECACHEDIR='$DIR/kubecache'
EOF
if [[ $default_instance == 1 ]]; then cp "$DIR/kubeconfig" "$ROOT/.local/kubeconfig"; chmod 600 "$ROOT/.local/kubeconfig"; fi

echo "cluster-up: $SERVER ready in $(( (t_api - t0) ))ms (etcd $(( t_etcd - t0 ))ms)$([[ $with_kcm == 1 ]] && echo ", controller-manager in $(( t_kcm - t_api ))ms"), $crd_count CRDs in $(( t_crds - t_kcm ))ms; kubeconfig: $([[ $default_instance == 1 ]] && echo "$ROOT/.local/kubeconfig" || echo "$DIR/kubeconfig")"
