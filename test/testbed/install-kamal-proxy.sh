#!/usr/bin/env bash
# Puts kamal-proxy $KAMAL_PROXY_VERSION into $CACHE/bin (with its version stamp), for install.sh.
# Environment: CACHE, GO (a go command), KAMAL_PROXY_VERSION; optional KAMAL_PROXY_BIN and
# SEXTANT_SHARED_DIR (default: ../shared beside the checkout). Go's GOPATH/GOBIN come from the caller.
set -euo pipefail
: "${CACHE:?}" "${GO:?}" "${KAMAL_PROXY_VERSION:?}"
log() { printf 'testbed install: %s\n' "$*" >&2; }
die() { printf 'testbed install: ERROR: %s\n' "$*" >&2; exit 1; }
mkdir -p "$CACHE/bin"

# Sources, first that works wins, and the log says which:
#   1. KAMAL_PROXY_BIN (a path to a kamal-proxy v0.9.0 binary)
#   2. the cache, $CACHE/bin/kamal-proxy with its version stamp
#   3. go install …@v0.9.0 (wherever the Go module proxy serves the module)
#   4. ../shared/kamal-proxy/v0.9.0/kamal-proxy beside the checkout, checked against its .sha256
# Whatever is chosen is copied into the cache with its version stamp: the testbed reads it there.
KAMAL_PROXY_CACHED="$CACHE/bin/kamal-proxy"
CHECKOUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED_KAMAL_PROXY_DIR="${SEXTANT_SHARED_DIR:-$CHECKOUT/../shared}/kamal-proxy/$KAMAL_PROXY_VERSION"

# A binary is usable when it runs and describes itself as kamal-proxy (v0.9.0 has no version command).
kamal_proxy_runs() {
  local out
  [ -f "$1" ] && [ -x "$1" ] || return 1
  out=$("$1" --help 2>&1) || return 1
  grep -q 'zero downtime' <<<"$out" && grep -q 'deploy' <<<"$out"
}
kamal_proxy_cached() {
  kamal_proxy_runs "$KAMAL_PROXY_CACHED" && [ "$(cat "$KAMAL_PROXY_CACHED.version" 2>/dev/null)" = "$KAMAL_PROXY_VERSION" ]
}
cache_kamal_proxy() {
  if [ "$(readlink -f "$1")" != "$(readlink -f "$KAMAL_PROXY_CACHED")" ]; then
    install -m 755 "$1" "$KAMAL_PROXY_CACHED.tmp" && mv -f "$KAMAL_PROXY_CACHED.tmp" "$KAMAL_PROXY_CACHED"
  fi
  echo "$KAMAL_PROXY_VERSION" > "$KAMAL_PROXY_CACHED.version"
}

if [ -n "${KAMAL_PROXY_BIN:-}" ]; then
  kamal_proxy_runs "$KAMAL_PROXY_BIN" ||
    die "KAMAL_PROXY_BIN=$KAMAL_PROXY_BIN is not a kamal-proxy binary that runs here ('$KAMAL_PROXY_BIN --help' failed or did not describe kamal-proxy)"
  cache_kamal_proxy "$KAMAL_PROXY_BIN"
  log "kamal-proxy $KAMAL_PROXY_VERSION: using KAMAL_PROXY_BIN=$KAMAL_PROXY_BIN"
elif kamal_proxy_cached; then
  log "kamal-proxy $KAMAL_PROXY_VERSION: using the cached binary in $CACHE/bin"
else
  log "kamal-proxy $KAMAL_PROXY_VERSION: trying go install github.com/basecamp/kamal-proxy/cmd/kamal-proxy@$KAMAL_PROXY_VERSION"
  if install_err=$(cd / && "$GO" install "github.com/basecamp/kamal-proxy/cmd/kamal-proxy@$KAMAL_PROXY_VERSION" 2>&1) &&
    kamal_proxy_runs "$KAMAL_PROXY_CACHED"; then
    cache_kamal_proxy "$KAMAL_PROXY_CACHED"
    log "kamal-proxy $KAMAL_PROXY_VERSION: using the one built by go install"
  else
    log "go install failed: $(printf '%s' "$install_err" | tail -n 2 | tr '\n' ' ')"
    shared_bin="$SHARED_KAMAL_PROXY_DIR/kamal-proxy"
    [ -f "$shared_bin" ] ||
      die "kamal-proxy $KAMAL_PROXY_VERSION cannot be had: go install failed (above) and $shared_bin does not exist. Set KAMAL_PROXY_BIN to a kamal-proxy $KAMAL_PROXY_VERSION binary."
    (cd "$SHARED_KAMAL_PROXY_DIR" && sha256sum --quiet -c kamal-proxy.sha256 >/dev/null 2>&1) ||
      die "$shared_bin does not match $SHARED_KAMAL_PROXY_DIR/kamal-proxy.sha256: refusing it"
    kamal_proxy_runs "$shared_bin" || die "$shared_bin does not run here ('--help' failed)"
    cache_kamal_proxy "$shared_bin"
    log "kamal-proxy $KAMAL_PROXY_VERSION: using $shared_bin (sha256 checked)"
  fi
fi
kamal_proxy_cached || die "kamal-proxy in $CACHE/bin is not usable after install"
