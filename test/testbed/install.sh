#!/usr/bin/env bash
# Installs what the Sextant testbed needs on a Debian 12 machine, as root. Idempotent: a second run
# installs nothing and builds nothing. Network use: Debian's package archive and the Go module proxy.
#
#   bash test/testbed/install.sh
#
# Afterwards:
#   - Debian packages: docker.io (dockerd 20.10 + containerd + runc), docker-registry (distribution 2.8),
#     openssh-server, iptables, busybox-static, apache2-utils (htpasswd -B), openssl, iproute2 …,
#     chromium (headless, for the `runs view` tests)
#   - $SEXTANT_TESTBED_CACHE/bin/kamal-proxy  (kamal-proxy v0.9.0: KAMAL_PROXY_BIN, the cache, go install,
#     or ../shared/kamal-proxy/v0.9.0 checked against its sha256 — see below)
#   - docker-buildx in /usr/local/lib/docker/cli-plugins/ (and $SEXTANT_TESTBED_CACHE/bin/buildx)
#   - the root namespace's own docker.service / docker-registry.service never run: the testbed starts
#     every daemon itself, inside its namespaces.
set -euo pipefail

CACHE="${SEXTANT_TESTBED_CACHE:-/var/cache/sextant-testbed}"
KAMAL_PROXY_VERSION="v0.9.0"
BUILDX_VERSION="${SEXTANT_BUILDX_VERSION:-v0.38.2}"
PLUGIN_DIR="/usr/local/lib/docker/cli-plugins"

log() { printf 'testbed install: %s\n' "$*" >&2; }
die() { printf 'testbed install: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

# --- Debian packages ---------------------------------------------------------------------------
# chromium: the `runs view` tests open the page in headless Chromium.
PACKAGES=(docker.io docker-registry openssh-server openssh-client iptables busybox-static apache2-utils
  openssl iproute2 util-linux procps ca-certificates tar git curl chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  # Keep the package scripts from starting dockerd, the registry or sshd in the root namespace.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
else
  log "Debian packages already installed"
fi

# On a machine that runs systemd, the packaged docker and registry units must stay off: the testbed
# runs its own daemons. (sshd is left alone: it may be how a person reaches this machine.)
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for unit in docker.socket docker.service docker-registry.service; do
    if systemctl list-unit-files "$unit" >/dev/null 2>&1; then
      systemctl stop "$unit" >/dev/null 2>&1 || true
      systemctl mask "$unit" >/dev/null 2>&1 || true
    fi
  done
fi

# --- Go toolchain ------------------------------------------------------------------------------
GO=""
for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then GO="$candidate"; break; fi
done
[ -n "$GO" ] || die "no Go toolchain found (looked for go on PATH, /usr/local/go/bin/go, /usr/lib/go/bin/go)"

mkdir -p "$CACHE/bin" "$CACHE/gopath" "$CACHE/gocache"
export GOPATH="$CACHE/gopath" GOCACHE="$CACHE/gocache" GOBIN="$CACHE/bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Go >= 1.21 may fetch a newer toolchain as a module from the module proxy when a go.mod asks for it.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

# --- kamal-proxy v0.9.0 --------------------------------------------------------------------------
KAMAL_PROXY_VERSION="$KAMAL_PROXY_VERSION" CACHE="$CACHE" GO="$GO" bash "$(dirname "${BASH_SOURCE[0]}")/install-kamal-proxy.sh"

# --- docker buildx -----------------------------------------------------------------------------
# A go-installed buildx reports "v0.0.0+unknown" (its version is set by its release build), so the
# version that was installed is kept in a stamp file beside the binary.
buildx_built() { [ -x "$CACHE/bin/buildx" ] && [ "$(cat "$CACHE/bin/buildx.version" 2>/dev/null)" = "$BUILDX_VERSION" ]; }

if ! buildx_built; then
  log "go install github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION (takes a few minutes)"
  (cd / && "$GO" install "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION") ||
    die "docker buildx $BUILDX_VERSION cannot be installed with go install (error above)"
  echo "$BUILDX_VERSION" > "$CACHE/bin/buildx.version"
fi
if ! cmp -s "$CACHE/bin/buildx" "$PLUGIN_DIR/docker-buildx"; then
  mkdir -p "$PLUGIN_DIR"
  install -m 755 "$CACHE/bin/buildx" "$PLUGIN_DIR/docker-buildx"
fi
log "docker-buildx $BUILDX_VERSION in $PLUGIN_DIR"

# --- the docker CLI ------------------------------------------------------------------------------
# Any docker CLI works; /usr/local/bin/docker (CLI 28) comes first on PATH when present.
command -v docker >/dev/null || die "no docker CLI on PATH after installing docker.io"

docker buildx version >/dev/null 2>&1 || die "'docker buildx version' fails after installing the plugin"
log "done"
