#!/usr/bin/env bash
# Stand-ins for the third-party images of the compose file, built from Debian packages on the
# debootstrap base and tagged under lh-e2e/ (never with an official image's name). An image is
# rebuilt only when its build context (Dockerfile, entrypoint, package) changed: the hash of the
# context is kept in a label.
set -euo pipefail
# shellcheck source=tests/e2e/provision/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STAND_INS="$E2E_DIR/stand-ins"

# build_context IMAGE CONTEXT [BUILD ARGS...]
build_context() {
  local image="$1" context="$2"
  shift 2
  local hash
  hash="$(context_hash "$context")"
  if [ "$(image_label "$image" lh-e2e.context)" = "$hash" ]; then
    say "$image: present"
    return
  fi
  say "$image: building"
  local args=()
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  docker build --quiet --label "lh-e2e.context=$hash" "${args[@]}" -t "$image" "$context" >/dev/null
  say "$image: built"
}

# go_stand_in IMAGE TRIXIE_PACKAGE BINARY DATA_DIR
go_stand_in() {
  local image="$1" package="$2" binary="$3" data_dir="$4"
  local context debs
  context="$(mktemp -d)"
  debs="$LH_E2E_CACHE/debs"
  if ! compgen -G "$debs/${package}_*.deb" >/dev/null; then trixie_download "$debs" "$package"; fi
  cp "$STAND_INS/go-service/Dockerfile" "$context/Dockerfile"
  cp "$(compgen -G "$debs/${package}_*.deb" | head -1)" "$context/package.deb"
  build_context "$image" "$context" "BINARY=$binary" "DATA_DIR=$data_dir"
  rm -rf "$context"
}

timed build_context lh-e2e/postgres:15 "$STAND_INS/postgres"
timed build_context lh-e2e/redis:7 "$STAND_INS/redis"
timed build_context lh-e2e/registry:2 "$STAND_INS/registry"
timed build_context lh-e2e/caddy:2 "$STAND_INS/caddy"
timed go_stand_in lh-e2e/prometheus:2 prometheus prometheus /prometheus
timed go_stand_in lh-e2e/alertmanager:0 prometheus-alertmanager prometheus-alertmanager /alertmanager
timed go_stand_in lh-e2e/pushgateway:1 prometheus-pushgateway prometheus-pushgateway /data
timed go_stand_in lh-e2e/postgres-exporter:0 prometheus-postgres-exporter prometheus-postgres-exporter /data
timed go_stand_in lh-e2e/redis-exporter:1 prometheus-redis-exporter prometheus-redis-exporter /data
