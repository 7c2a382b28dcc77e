#!/usr/bin/env bash
# run.sh — `make test-node` (issue 18 item 3; opt-in, not in `make test`; needs root): deploy/ on
# real kubelets. A private control plane (etcd + kube-apiserver from scripts/cluster-up.sh, a
# kube-controller-manager with the workload controllers, kube-scheduler), two nodes (each a
# kubelet with its own containerd from Debian, crun as the OCI runtime), kube-proxy (iptables
# mode) for the Services, the image `make image` built imported into both containerds, then
# `kubectl apply -k test/node/overlay` (deploy/ with the differences this machine needs, listed in
# that kustomization) and test/node/deploy.test.ts. Everything it starts is stopped on exit, the
# bridge and cgroups it made are removed, and kube-proxy's iptables rules are cleaned.
#
# Env: LBOP_NODE_KEEP=1 leaves everything running (prints how to stop it); LBOP_NODE_DIR moves
# the state directory (default .local/node-e2e).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
[[ $(id -u) == 0 ]] || { echo "test-node: needs root (kubelet, containerd, iptables)" >&2; exit 1; }
t0=$(date +%s)
scripts/ensure-debs.sh containerd:containerd crun:crun busybox-static containernetworking-plugins iptables:iptables conntrack:conntrack curl:curl jq:jq
[[ -s .local/image/ref ]] || make --no-print-directory image
scripts/envtest-build.sh --with-controller-manager >/dev/null
KBIN=$(scripts/node-build.sh)
REF=$(cat .local/image/ref)
D=${LBOP_NODE_DIR:-$ROOT/.local/node-e2e}
NODES=(1 2)
BRIDGE=lbop-node0 # the nodes' addresses, 198.18.0.<i>/32 (this VM's kernel has no dummy links)
KC=("$ROOT/.local/bin/kubectl" --kubeconfig "$D/cluster/kubeconfig" --cache-dir "$D/kubecache")
log() { echo "test-node: $*" >&2; }

pids=()
cleanup() {
  set +e
  # A second Ctrl-C or SIGTERM while this runs would otherwise end it midway (the TERM trap's
  # exit cuts the EXIT trap short) and leave the apiserver, mounts, chains and cgroups behind.
  trap '' TERM INT
  if [[ ${LBOP_NODE_KEEP:-0} == 1 ]]; then
    log "LBOP_NODE_KEEP=1: left running (kubeconfig $D/cluster/kubeconfig); stop with: kill ${pids[*]}; scripts/cluster-down.sh $D/cluster"
    return
  fi
  # Pods first (their containers live under the containerds), then the processes this run started.
  "${KC[@]}" delete namespace lb-system --wait=false >/dev/null 2>&1
  "${KC[@]}" -n lb-system delete pods --all --grace-period=5 --wait=true --timeout=40s >/dev/null 2>&1
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done; kill -9 "$p" 2>/dev/null; done
  # containerd-shim processes of these containerds (they outlive containerd by design); by their
  # -address argument, which names this run's sockets only.
  for n in "${NODES[@]}"; do
    for s in $(pgrep -f -- "-address $D/node-$n/ctd/containerd.sock" 2>/dev/null); do kill -9 "$s" 2>/dev/null; done
  done
  "$KBIN/kube-proxy" --cleanup >/dev/null 2>&1
  drop_kubelet_chains
  for n in "${NODES[@]}"; do
    mountpoint -q "$D/node-$n/kubelet" && umount -R "$D/node-$n/kubelet"
    grep -o " $D/node-$n/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
    for c in /sys/fs/cgroup/*/lbop-node-$n /sys/fs/cgroup/lbop-node-$n; do [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    ip link del "lbop-cni$n" 2>/dev/null
  done
  ip link del "$BRIDGE" 2>/dev/null
  scripts/cluster-down.sh "$D/cluster" >/dev/null 2>&1
  rm -rf "$D"
}
# The kubelet's own chains (it makes its canaries even with makeIPTablesUtilChains off); none is
# left on the host.
drop_kubelet_chains() {
  local ipt t c
  for ipt in iptables ip6tables; do
    for c in INPUT OUTPUT; do while "$ipt" -t filter -D "$c" -j KUBE-FIREWALL 2>/dev/null; do :; done; done
    for t in filter nat mangle; do
      for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do "$ipt" -t "$t" -F "$c" 2>/dev/null && "$ipt" -t "$t" -X "$c" 2>/dev/null; done
    done
  done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

await() { # seconds what command...
  local until=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < until )) || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

picked=""
pick_port() { # sets PORT: a free loopback port away from the ephemeral range, not handed out before
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    if ! ss -Hltn "sport = :$p" | grep -q . && [[ " $picked " != *" $p "* ]]; then picked+=" $p"; PORT=$p; return 0; fi
  done
  log "no free loopback port in 20000-32000"; return 1
}

# --- control plane ----------------------------------------------------------------------------
rm -rf "$D"; mkdir -p "$D"
scripts/cluster-up.sh --controller-manager "$D/cluster" >&2
# The workload controllers (cluster-up's controller-manager runs only namespace/GC/SA/root-CA ones):
# Deployment → ReplicaSet → Pods, the PDB's status (disruption), the Services' EndpointSlices, and
# the node lifecycle (it lifts the not-ready taint a kubelet registers with, once the node is Ready).
"$ROOT/.local/bin/kube-controller-manager" --kubeconfig "$D/cluster/kubeconfig" \
  --controllers deployment-controller,replicaset-controller,disruption-controller,endpointslice-controller,endpoints-controller,node-lifecycle-controller \
  --leader-elect=false --secure-port 0 --use-service-account-credentials=false \
  </dev/null >"$D/kcm-workloads.log" 2>&1 & pids+=($!)
"$KBIN/kube-scheduler" --kubeconfig "$D/cluster/kubeconfig" --authentication-kubeconfig "$D/cluster/kubeconfig" \
  --authorization-kubeconfig "$D/cluster/kubeconfig" --leader-elect=false --secure-port 0 --bind-address 127.0.0.1 \
  </dev/null >"$D/scheduler.log" 2>&1 & pids+=($!)

# --- node addresses ---------------------------------------------------------------------
ip link del "$BRIDGE" 2>/dev/null || true # left by an interrupted run
ip link add "$BRIDGE" type bridge
for n in "${NODES[@]}"; do ip addr add "198.18.0.$n/32" dev "$BRIDGE"; done
ip link set "$BRIDGE" up

# --- a pause image (no registry to pull registry.k8s.io/pause from): busybox-static sleeping ---
P="$D/pause"; mkdir -p "$P/stage/bin" "$P/oci/blobs/sha256"; cp /bin/busybox "$P/stage/bin/"
tar -C "$P/stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$P/layer.tar" bin
blob() { local d; d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$P/oci/blobs/sha256/$d"; echo "$d $(stat -c%s "$1")"; }
gzip -n -c "$P/layer.tar" >"$P/layer.tgz"
read -r ld ls < <(blob "$P/layer.tgz")
diff_id=$(sha256sum "$P/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/busybox","sleep","2147483647"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff_id" >"$P/config.json"
read -r cd cs < <(blob "$P/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' "$cd" "$cs" "$ld" "$ls" >"$P/manifest.json"
read -r md ms < <(blob "$P/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' "$md" "$ms" >"$P/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$P/oci/oci-layout"
tar -C "$P/oci" -cf "$P/pause.tar" .

# crun, in a private mount namespace without the cgroup2 mount of this hybrid-cgroup VM (see
# docs/image.md); runc 1.1.5 from Debian fails here: "can't get final child's PID from pipe: EOF".
cat >"$D/crun-wrap" <<'EOF'
#!/bin/sh
exec unshare -m --propagation private sh -c 'if [ -d /sys/fs/cgroup/memory ] && mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec crun "$@"' crun "$@"
EOF
chmod +x "$D/crun-wrap"
mkdir -p "$D/cni/bin"; cp /usr/lib/cni/{bridge,host-local,loopback,portmap} "$D/cni/bin/"

# --- the nodes: containerd + kubelet each -----------------------------------------------------
for n in "${NODES[@]}"; do
  N="$D/node-$n"; mkdir -p "$N"/{ctd,kubelet,pki,pods,cni}
  # The CNI config only makes the runtime report NetworkReady (the operator pods use hostNetwork).
  printf '{"cniVersion":"1.0.0","name":"lbop-pods","plugins":[{"type":"bridge","bridge":"lbop-cni%s","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","dataDir":"%s/cni/ipam","ranges":[[{"subnet":"198.18.%s.0/24"}]]}}]}\n' \
    "$n" "$N" "$n" >"$N/cni/10-lbop.conflist"
  cat >"$N/ctd/config.toml" <<EOF
version = 2
root = "$N/ctd/root"
state = "$N/ctd/state"
[grpc]
  address = "$N/ctd/containerd.sock"
[ttrpc]
  address = "$N/ctd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "lbop.local/pause:1"
  stream_server_address = "127.0.0.1"
  # This VM does not let root lower oom_score_adj below its own (the kubelet asks -998 for sandboxes).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      BinaryName = "$D/crun-wrap"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$D/cni/bin"
    conf_dir = "$N/cni"
EOF
  setsid containerd --config "$N/ctd/config.toml" >"$N/ctd/log" 2>&1 & pids+=($!)
done
for n in "${NODES[@]}"; do
  N="$D/node-$n"; CTR=(ctr -a "$N/ctd/containerd.sock" -n k8s.io)
  await 30 "containerd of node $n" "${CTR[@]}" version
  "${CTR[@]}" images import --base-name lbop.local/pause "$P/pause.tar" >/dev/null
  # The image exactly as `make image` wrote it (its manifest digest is kept).
  "${CTR[@]}" images import --base-name lbop.local/contrail-lb-operator ".local/image/contrail-lb-operator-$REF.oci.tar" >/dev/null
  # A cgroup parent per kubelet: each cleans up pod cgroups it does not know, so two must not share one.
  for c in /sys/fs/cgroup/*/; do [[ $c == */unified/ ]] || mkdir -p "$c/lbop-node-$n"; done
  # kubelet's server (exec/logs) on a free loopback port of its own: two kubelets share this host.
  pick_port; kport=$PORT
  cat >"$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $kport
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
cgroupDriver: cgroupfs
cgroupRoot: /lbop-node-$n
failSwapOn: false
# Kubernetes 1.35 refuses cgroup v1 hosts by default; this VM mounts the v1 controllers.
failCgroupV1: false
containerRuntimeEndpoint: unix://$N/ctd/containerd.sock
podLogsDir: $N/pods
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: $D/cluster/pki/ca.crt}}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
# A shared test VM: no eviction or image GC because of what other jobs do to its disk.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# No KUBE-FIREWALL (it would drop non-loopback packets to 127.0.0.0/8 on the whole host).
makeIPTablesUtilChains: false
EOF
  setsid "$KBIN/kubelet" --config "$N/kubelet.yaml" --kubeconfig "$D/cluster/kubeconfig" --root-dir "$N/kubelet" \
    --cert-dir "$N/pki" --hostname-override "lbop-node-$n" --node-ip "198.18.0.$n" >"$N/kubelet.log" 2>&1 & pids+=($!)
done
node_ready() { [[ $("${KC[@]}" get node "lbop-node-$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
for n in "${NODES[@]}"; do await 120 "node lbop-node-$n Ready" node_ready "$n" || { tail -n 5 "$D/node-$n/kubelet.log" >&2; exit 1; }; done
# --- kube-proxy -------------------------------------------------------------------------------
# One kube-proxy for both nodes: they share this host's network namespace, so one set of rules
# serves both (two would fight over the same chains). Started once its node exists: it takes the
# node's address from the Node object and waits for it otherwise.
pick_port; proxy_health=$PORT; pick_port; proxy_metrics=$PORT
cat >"$D/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $D/cluster/kubeconfig}
hostnameOverride: lbop-node-1
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$proxy_health
metricsBindAddress: 127.0.0.1:$proxy_metrics
nodePortAddresses: [198.18.0.0/15]
# Leave the host's conntrack table sizes and timeouts alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
"$KBIN/kube-proxy" --config "$D/kube-proxy.yaml" </dev/null >"$D/kube-proxy.log" 2>&1 & pids+=($!)
proxy_pid=$!
proxy_up() { kill -0 "$proxy_pid" && curl -sf -m 1 "http://127.0.0.1:$proxy_health/livez"; }
await 30 "kube-proxy serving" proxy_up || { tail -n 3 "$D/kube-proxy.log" >&2; exit 1; }
t_nodes=$(date +%s)
log "control plane and ${#NODES[@]} nodes up in $(( t_nodes - t0 ))s"

# --- deploy/ ------------------------------------------------------------------------------------
# The overlay is deploy/ plus what this machine needs (test/node/overlay/kustomization.yaml), and
# here the one thing only known now: the apiserver's loopback port. The `kubernetes` Service has
# no endpoints in this control plane (kube-apiserver refuses its own advertise address 127.0.0.1:
# "may not be in the loopback range"), so kube-proxy has nothing behind its ClusterIP and the pods
# are pointed at the apiserver the way the kubelet's in-cluster variables would, on loopback.
api_port=$(jq -r .server "$D/cluster/cluster.json" | sed -E 's/.*:([0-9]+)$/\1/')
mkdir -p "$D/overlay"
cat >"$D/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$(realpath --relative-to="$D/overlay" "$ROOT/test/node/overlay")]
patches:
  - target: {group: apps, kind: Deployment, name: contrail-lb-operator}
    patch: |-
      - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: KUBERNETES_SERVICE_HOST, value: 127.0.0.1}}
      - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: KUBERNETES_SERVICE_PORT, value: "$api_port"}}
EOF
"${KC[@]}" kustomize "$D/overlay" >"$D/rendered.yaml"
"${KC[@]}" apply --server-side -f "$D/rendered.yaml" >&2 || "${KC[@]}" apply --server-side -f "$D/rendered.yaml" >&2

export LBOP_NODE_KUBECONFIG="$D/cluster/kubeconfig" LBOP_NODE_DIR="$D" LBOP_NODE_KUBECTL="$ROOT/.local/bin/kubectl" LBOP_NODE_REF="$REF"
LBOP_NODE_DIGEST="$(cat .local/image/digest)"
LBOP_NODE_CONFIG_DIGEST=$(jq -r .config.digest ".local/image/oci/blobs/sha256/${LBOP_NODE_DIGEST#sha256:}")
export LBOP_NODE_DIGEST LBOP_NODE_CONFIG_DIGEST
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/node/deploy.test.ts
log "passed in $(( $(date +%s) - t0 ))s (set-up $(( t_nodes - t0 ))s)"
