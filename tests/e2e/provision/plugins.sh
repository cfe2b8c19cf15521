#!/usr/bin/env bash
# Compose v2 and buildx for the Docker CLI. Debian bookworm has neither; trixie packages both
# (docker-compose 2.26, docker-buildx 0.13). They are downloaded through an apt configuration of
# their own and only the plugin binaries are unpacked into the CLI's plugin folder.
set -euo pipefail
# shellcheck source=tests/e2e/provision/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PLUGIN_DIR=/usr/libexec/docker/cli-plugins

install_plugins() {
  local missing=()
  docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  docker buildx version >/dev/null 2>&1 || missing+=(docker-buildx)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "plugins: $(docker compose version --short 2>/dev/null) (compose), $(docker buildx version | cut -d' ' -f2) (buildx)"
    return
  fi
  local debs unpacked
  debs="$(mktemp -d)"
  unpacked="$(mktemp -d)"
  trixie_download "$debs" "${missing[@]}"
  mkdir -p "$PLUGIN_DIR"
  for package in "${missing[@]}"; do
    dpkg-deb -x "$debs/${package}"_*.deb "$unpacked"
    install -m 0755 "$unpacked/usr/libexec/docker/cli-plugins/$package" "$PLUGIN_DIR/$package"
    say "installed $PLUGIN_DIR/$package"
  done
  rm -rf "$debs" "$unpacked"
  docker compose version >/dev/null && docker buildx version >/dev/null
}

timed install_plugins
