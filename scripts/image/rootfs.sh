#!/usr/bin/env bash
# rootfs.sh VARIANT OUT_DIR — the image's base layer: a Debian bookworm minbase root filesystem
# from Debian's packages (mmdebstrap), with the `node` user (uid/gid 1000) the Dockerfile's base
# image has. Cached under ~/.cache/contrail-lb-operator/image/ by a key over this recipe, so a
# warm `make image` does not bootstrap again; IMAGE_REFRESH=1 rebuilds it (e.g. for Debian's
# security updates). Prints the path of the cached layer (uncompressed tar) on stdout.
#
# VARIANT: operator (default) | se — the SE image adds HAProxy here; its se-agent layer is not
# built yet (see docs/image.md, "Variants").
set -euo pipefail
variant=${1:?usage: rootfs.sh VARIANT}
CACHE=${LBOP_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/contrail-lb-operator/image}
mkdir -p "$CACHE"

suite=bookworm
mirrors=(
  "deb http://deb.debian.org/debian $suite main"
  "deb http://deb.debian.org/debian $suite-updates main"
  "deb http://deb.debian.org/debian-security $suite-security main"
)
includes=()
[[ $variant == se ]] && includes+=(haproxy)
# What debian:bookworm-slim leaves out (docs, man pages, translations); copyright files stay.
dpkgopts=(
  'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*'
  'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' 'path-exclude=/usr/share/lintian/*'
)
# The user the Dockerfile's base image (node:*-bookworm-slim) has, written as fixed lines:
# useradd would stamp today's date into /etc/shadow and break reproducibility.
user_hook='printf "node:x:1000:1000::/home/node:/bin/bash\n" >>"$1/etc/passwd";
  printf "node:x:1000:\n" >>"$1/etc/group";
  printf "node:*:0:0:99999:7:::\n" >>"$1/etc/shadow";
  printf "node:*::\n" >>"$1/etc/gshadow";
  install -d -m 0755 -o 1000 -g 1000 "$1/home/node"'

# The key covers every input of the recipe (this file and the variant); package versions are
# whatever the archive serves when the cache is made.
key=$( { cat "$0"; echo "$variant"; } | sha256sum | cut -c1-16)
layer="$CACHE/base-$variant-$key.tar"
if [[ -s $layer && ${IMAGE_REFRESH:-0} != 1 ]]; then echo "$layer"; exit 0; fi

command -v mmdebstrap >/dev/null || { echo "rootfs: mmdebstrap is missing (scripts/ensure-debs.sh mmdebstrap)" >&2; exit 1; }
log="$CACHE/base-$variant-$key.log"
echo "rootfs: bootstrapping Debian $suite minbase ($variant) with mmdebstrap (log: $log)" >&2
# Timestamps in the tarball: the time this recipe last changed (a fixed number per recipe).
sde=$(git -C "$(dirname "$0")" log -1 --format=%ct -- rootfs.sh 2>/dev/null || true)
export SOURCE_DATE_EPOCH=${sde:-1747699200}
# No device nodes in the layer (the runtime mounts /dev), as in Debian's own container images.
args=(--variant=minbase --format=tar --skip=output/dev --customize-hook="$user_hook")
for o in "${dpkgopts[@]}"; do args+=(--dpkgopt="$o"); done
(( ${#includes[@]} )) && args+=(--include="$(IFS=,; echo "${includes[*]}")")
if ! mmdebstrap "${args[@]}" "$suite" "$layer.tmp" "${mirrors[@]}" >"$log" 2>&1; then
  tail -n 20 "$log" >&2; rm -f "$layer.tmp"; echo "rootfs: mmdebstrap failed (log: $log)" >&2; exit 1
fi
mv "$layer.tmp" "$layer"
# Older recipes' layers of this variant would only fill the disk.
find "$CACHE" -maxdepth 1 -name "base-$variant-*" ! -name "base-$variant-$key.*" -delete
echo "$layer"
