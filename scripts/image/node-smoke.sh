#!/usr/bin/env bash
# node-smoke.sh — issue 18 item 3, as far as it goes today (opt-in, not in `make test`; see
# docs/image.md "A real node"): a real kubelet (built from the Go module proxy at test/envtest's
# Kubernetes pin) with containerd from Debian, joined to a private kube-apiserver
# (scripts/cluster-up.sh), runs the image built by `make image` (imported from its OCI tarball)
# as a pod made from deploy/base's Deployment template, and waits for its probes to pass.
# Prints the pod's process credentials, then stops everything it started.
#
# Limits (why this is not yet the issue's e2e): no kube-scheduler and no Deployment/ReplicaSet
# controllers in the test control plane (the pod is bound with nodeName), no kube-proxy (the pod
# uses hostNetwork and reaches the apiserver on 127.0.0.1, so its namespace's Pod Security level is
# relaxed to privileged for this run), one node.
# Needs root. Go >= 1.25 for the first kubelet build (~1 min with envtest's Go caches warm).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
[[ $(id -u) == 0 ]] || { echo "node-smoke: needs root" >&2; exit 1; }
KUBE_VERSION=$(awk '$1 == "k8s.io/kubernetes" {print $2}' test/envtest/go.mod)
[[ -n $KUBE_VERSION ]] || { echo "node-smoke: no k8s.io/kubernetes pin in test/envtest/go.mod" >&2; exit 1; }
scripts/ensure-debs.sh containerd:containerd crun:crun busybox-static containernetworking-plugins
[[ -s .local/image/ref ]] || make --no-print-directory image
make --no-print-directory envtest >/dev/null
REF=$(cat .local/image/ref)

D="$ROOT/.local/node"
NODE_IP=198.18.0.1 # the project's range; on a bridge of its own (this VM's kernel has no dummy links)
NODE=lbop-node-1
rm -rf "$D"; mkdir -p "$D"/{ctd,kubelet,cni/bin,cni/conf,pause}
KC=("$ROOT/.local/bin/kubectl" --kubeconfig "$D/cluster/kubeconfig" --cache-dir "$D/kubecache")

# --- kubelet, built once per pin --------------------------------------------------------------
KUBELET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/kubelet/$KUBE_VERSION"
if [[ ! -x $KUBELET_DIR/kubelet ]]; then
  echo "node-smoke: building kubelet $KUBE_VERSION from the Go module proxy" >&2
  mod=$(mktemp -d); cp -r test/envtest/. "$mod/"; mkdir -p "$KUBELET_DIR"
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}; ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  # -mod=mod: the envtest module lists every module kubelet needs but not all of their go.sum
  # lines; they come from the proxy, checked against the checksum database.
  (cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go build -trimpath -ldflags="$ld" -o "$KUBELET_DIR/" k8s.io/kubernetes/cmd/kubelet) \
    >"$D/kubelet-build.log" 2>&1 || { tail -n 20 "$D/kubelet-build.log" >&2; rm -rf "$mod"; exit 1; }
  rm -rf "$mod"
fi

pids=()
cleanup() {
  set +e
  "${KC[@]}" -n lb-system delete pod operator-0 --grace-period=5 --wait=true --timeout=30s >/dev/null 2>&1
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done; done
  mountpoint -q "$D/kubelet/root" && umount "$D/kubelet/root"
  scripts/cluster-down.sh "$D/cluster" >/dev/null 2>&1
  ip link del lbop-node0 2>/dev/null
  rm -rf "$D/kubelet/root"
}
trap cleanup EXIT

await() { # seconds what command...
  local until=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < until )) || { echo "node-smoke: timed out waiting for $what" >&2; return 1; }
    sleep 0.5
  done
}

# --- control plane, node address --------------------------------------------------------------
scripts/cluster-up.sh "$D/cluster" >&2
ip link del lbop-node0 2>/dev/null || true # left by an interrupted run
ip link add lbop-node0 type bridge
ip addr add "$NODE_IP/32" dev lbop-node0
ip link set lbop-node0 up

# --- containerd -------------------------------------------------------------------------------
# crun, in a private mount namespace without the cgroup2 mount of this hybrid-cgroup VM (see
# docs/image.md); runc 1.1.5 from Debian fails here: "can't get final child's PID from pipe: EOF".
cat >"$D/crun-wrap" <<'EOF'
#!/bin/sh
exec unshare -m --propagation private sh -c 'if [ -d /sys/fs/cgroup/memory ] && mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec crun "$@"' crun "$@"
EOF
chmod +x "$D/crun-wrap"
cp /usr/lib/cni/{bridge,host-local,loopback,portmap} "$D/cni/bin/"
printf '%s\n' '{"cniVersion":"1.0.0","name":"lbop-pods","plugins":[{"type":"bridge","bridge":"lbop-cni0","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","ranges":[[{"subnet":"198.18.1.0/24"}]]}}]}' >"$D/cni/conf/10-lbop.conflist"
cat >"$D/ctd/config.toml" <<EOF
version = 2
root = "$D/ctd/root"
state = "$D/ctd/state"
[grpc]
  address = "$D/ctd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "lbop.local/pause:1"
  # This VM does not let root lower oom_score_adj below its own (the kubelet asks -998 for sandboxes).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      BinaryName = "$D/crun-wrap"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$D/cni/bin"
    conf_dir = "$D/cni/conf"
EOF
setsid containerd --config "$D/ctd/config.toml" >"$D/ctd/log" 2>&1 & pids+=($!)
CTR=(ctr -a "$D/ctd/containerd.sock" -n k8s.io)
await 20 containerd "${CTR[@]}" version

# A pause image (no registry to pull registry.k8s.io/pause from): busybox-static sleeping.
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
"${CTR[@]}" images import --base-name lbop.local/pause "$P/pause.tar" >&2
# The image exactly as `make image` wrote it.
"${CTR[@]}" images import --base-name lbop.local/contrail-lb-operator ".local/image/contrail-lb-operator-$REF.oci.tar" >&2

# --- kubelet ----------------------------------------------------------------------------------
cat >"$D/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 0
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
cgroupDriver: cgroupfs
failSwapOn: false
# Kubernetes 1.35 refuses cgroup v1 hosts by default; this VM mounts the v1 controllers.
failCgroupV1: false
containerRuntimeEndpoint: unix://$D/ctd/containerd.sock
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: $D/cluster/pki/ca.crt}}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
EOF
setsid "$KUBELET_DIR/kubelet" --config "$D/kubelet/config.yaml" --kubeconfig "$D/cluster/kubeconfig" --root-dir "$D/kubelet/root" \
  --cert-dir "$D/kubelet/pki" --hostname-override "$NODE" --node-ip "$NODE_IP" >"$D/kubelet/log" 2>&1 & pids+=($!)
node_ready() { [[ $("${KC[@]}" get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
await 90 "node $NODE Ready" node_ready

# --- the operator pod -------------------------------------------------------------------------
for f in namespace serviceaccount rbac; do "${KC[@]}" apply -f "deploy/base/$f.yaml" >/dev/null; done
"${KC[@]}" label ns lb-system pod-security.kubernetes.io/enforce=privileged --overwrite >/dev/null
# kube-controller-manager's root-CA publisher is not running; the projected volume needs this.
"${KC[@]}" -n lb-system create configmap kube-root-ca.crt --from-file=ca.crt="$D/cluster/pki/ca.crt" >/dev/null
api_port=$(jq -r .server "$D/cluster/cluster.json" | sed -E 's/.*:([0-9]+)$/\1/')
node --input-type=module -e '
import { readFileSync } from "node:fs"; import { parse } from "yaml";
const [ref, node, ip, port] = process.argv.slice(1);
const d = parse(readFileSync("deploy/base/deployment.yaml", "utf8"));
const spec = d.spec.template.spec, c = spec.containers[0];
c.image = `lbop.local/contrail-lb-operator:${ref}`; c.imagePullPolicy = "Never";
c.args = c.args.map((a) => a.replace(/^--(health|metrics)-addr=0\.0\.0\.0:/, `--$1-addr=${ip}:`));
c.env.push({ name: "KUBERNETES_SERVICE_HOST", value: "127.0.0.1" }, { name: "KUBERNETES_SERVICE_PORT", value: port });
spec.nodeName = node; spec.hostNetwork = true; delete spec.topologySpreadConstraints;
process.stdout.write(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "operator-0", namespace: "lb-system", labels: d.spec.template.metadata.labels }, spec }));
' "$REF" "$NODE" "$NODE_IP" "$api_port" | "${KC[@]}" apply -f - >&2
pod_ready() { [[ $("${KC[@]}" -n lb-system get pod operator-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
if ! await 120 "pod operator-0 Ready (probes)" pod_ready; then
  "${KC[@]}" -n lb-system get events -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}' | sort | uniq -c | tail -n 5 >&2
  exit 1
fi
"${KC[@]}" -n lb-system get pod operator-0 -o wide
echo "lease holder: $("${KC[@]}" -n lb-system get lease contrail-lb-operator -o jsonpath='{.spec.holderIdentity}')"
pid=$(pgrep -f -n '^node /usr/local/bin/contrail-lb-operator run')
grep -E '^(Uid|Gid|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status"
echo "node-smoke: the image ran as a pod on kubelet $KUBE_VERSION (containerd $(containerd --version | awk '{print $3}'), crun) with its probes passing"
