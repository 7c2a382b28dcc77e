# shellcheck shell=bash
# Shared by the scripts that build one pinned Go tool from the Go module proxy into a per-pin
# cache and link it into .local/bin (scripts/helm-build.sh, scripts/kstatus-build.sh): finding
# Go, the cache lock that lets two stages share one cold build, the progress line at least every
# 30 s while a cold build runs, and the first useful line of the build log on failure.
# The caller sets TOOL (its name in messages and .local/bin), CACHE (the per-pin cache directory)
# and LOG, then calls gotool_reuse_or_lock, builds with gotool_build, and gotool_install.

fail() { echo "$TOOL: $*" >&2; exit 1; }

# Go >= 1.25 on PATH (or in /usr/local/go); sets GO_VERSION and GO_PLATFORM for the cache key.
gotool_go() {
  [[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null 2>&1 || fail "the 'go' command is not on PATH; install Go >= 1.25 (https://go.dev/dl) and retry."
  GO_VERSION="$(go env GOVERSION)"
  GO_PLATFORM="$(go env GOOS)-$(go env GOARCH)"
}

gotool_link() {
  local bin="$ROOT/.local/bin"
  mkdir -p "$bin"
  [[ "$(readlink "$bin/$TOOL" 2>/dev/null)" == "$CACHE/$TOOL" ]] && return 0
  ln -sfn "$CACHE/$TOOL" "$bin/.$TOOL.$$" && mv -Tf "$bin/.$TOOL.$$" "$bin/$TOOL"
}

# Exits 0 after linking when the cache holds the binary, before or after waiting for the lock a
# concurrent build holds (fd 9 stays locked until this script exits).
gotool_reuse_or_lock() {
  if [[ -x "$CACHE/$TOOL" ]]; then gotool_link; echo "$TOOL: reusing the build in $CACHE"; exit 0; fi
  mkdir -p "$(dirname "$CACHE")" "$ROOT/.local"
  exec 9>"$CACHE.lock"
  flock 9
  if [[ -x "$CACHE/$TOOL" ]]; then gotool_link; echo "$TOOL: reusing the build made meanwhile in $CACHE"; exit 0; fi
  GOTOOL_START=$(date +%s)
  GOTOOL_TMP="$CACHE.tmp.$$"
  rm -rf "$GOTOOL_TMP"; mkdir -p "$GOTOOL_TMP"
}

# gotool_build CMD... — runs the build (writing into $GOTOOL_TMP) in the background, logging to
# $LOG, with a progress line every 25 s; fails with the log's first error line.
gotool_build() {
  "$@" >"$LOG" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && echo "$TOOL: still building ($(( $(date +%s) - GOTOOL_START ))s)"
  done
  if ! wait "$pid"; then
    rm -rf "$GOTOOL_TMP"
    local first
    first="$(grep -v -E '^\s*$|^#|^\s' "$LOG" | head -n 1 | cut -c1-400)"
    fail "the Go build failed: ${first:-$(tail -n 1 "$LOG")} (full log: $LOG)"
  fi
}

gotool_install() {
  [[ -x "$GOTOOL_TMP/$TOOL" ]] || fail "the Go build produced no $TOOL binary (log: $LOG)"
  rm -rf "$CACHE"; mv "$GOTOOL_TMP" "$CACHE"
  gotool_link
  echo "$TOOL: built in $(( $(date +%s) - GOTOOL_START ))s into $CACHE"
}
