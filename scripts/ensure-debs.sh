#!/usr/bin/env bash
# ensure-debs.sh PKG[:COMMAND] ... — installs the Debian packages a test stage needs, once.
# Each argument is a package, optionally with the command that proves it is installed
# (haproxy:haproxy, prometheus:promtool); without one, dpkg's status is checked.
# Runs apt-get only when something is missing; apt-get update only then too. Needs root for that.
set -euo pipefail
missing=()
for arg in "$@"; do
  pkg=${arg%%:*}; cmd=${arg#*:}
  if [[ $cmd != "$arg" ]]; then
    command -v "$cmd" >/dev/null 2>&1 && continue
  else
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
  fi
  missing+=("$pkg")
done
(( ${#missing[@]} == 0 )) && exit 0
[[ $(id -u) == 0 ]] || { echo "ensure-debs: missing Debian packages; install them as root: apt-get install --no-install-recommends ${missing[*]}" >&2; exit 1; }
echo "ensure-debs: installing ${missing[*]} (first run only)" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps postinst scripts from starting daemons (haproxy, prometheus) on the host.
made=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made=1; fi
trap '(( made )) && rm -f /usr/sbin/policy-rc.d' EXIT
log=${TMPDIR:-/tmp}/ensure-debs.log
# Another apt may hold the lock (a parallel stage): wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 || { tail -n 20 "$log" >&2; exit 1; }
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; echo "ensure-debs: apt-get install failed" >&2; exit 1; }
