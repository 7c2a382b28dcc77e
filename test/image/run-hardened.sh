#!/usr/bin/env bash
# run-hardened.sh — `make test-image`'s second half: the built image (make image) run under crun
# with the Deployment's securityContext, loopback-only network, against a fresh kube-apiserver
# (scripts/with-cluster.sh) and the simulator, until the seed VirtualService vs2 is Ready.
# The test itself is test/image/hardened.test.ts. Needs root; installs crun, umoci, socat and
# containers-common's seccomp.json (the runtime-default profile) from Debian on first use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
[[ $(id -u) == 0 ]] || { echo "run-hardened: needs root (network namespace, crun); run it as root" >&2; exit 1; }
[[ -s .local/image/oci/index.json ]] || { echo "run-hardened: no image in .local/image; run 'make image' first" >&2; exit 1; }
scripts/ensure-debs.sh crun:crun umoci:umoci socat:socat iproute2:ip golang-github-containers-common
[[ -s /usr/share/containers/seccomp.json ]] || { echo "run-hardened: /usr/share/containers/seccomp.json missing (golang-github-containers-common)" >&2; exit 1; }
exec scripts/with-cluster.sh node --import tsx --test --test-reporter=spec --test-concurrency=1 test/image/hardened.test.ts
