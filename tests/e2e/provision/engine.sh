#!/usr/bin/env bash
# A Docker engine on this machine: Debian's docker.io, dockerd started as root with its own log.
# A dockerd killed by an earlier run leaves pid and socket files behind; they must not stop a new
# one from starting, so they are removed when no live process owns them.
set -euo pipefail
# shellcheck source=tests/e2e/provision/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_engine() {
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then
    say "docker.io: installed ($(dockerd --version))"
    return
  fi
  apt_install docker.io debootstrap
}

# Removes pid file $1 (and the sockets after it) when the process it names is gone.
clear_stale() {
  local pidfile="$1"
  shift
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  say "removing stale $pidfile (process ${pid:-?} is gone) and $*"
  rm -f "$pidfile" "$@"
}

start_engine() {
  if docker info >/dev/null 2>&1; then
    say "dockerd: running (server $(docker version --format '{{.Server.Version}}'))"
    return
  fi
  if pgrep -x dockerd >/dev/null; then
    say "dockerd: a process exists but does not answer; waiting for it"
  else
    clear_stale /var/run/docker.pid /var/run/docker.sock
    clear_stale /var/run/docker/containerd/containerd.pid /var/run/docker/containerd/containerd.sock \
      /var/run/docker/containerd/containerd-debug.sock
    mkdir -p "$LH_E2E_LOG_DIR"
    say "dockerd: starting (log: $LH_E2E_LOG_DIR/dockerd.log)"
    # Without the descriptors this script inherited: a lock held around provisioning
    # (`flock /work/docker.lock bash provision.sh`) would otherwise live on in dockerd for ever.
    (
      for fd in /proc/self/fd/*; do
        fd="${fd##*/}"
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      exec setsid nohup dockerd >>"$LH_E2E_LOG_DIR/dockerd.log" 2>&1 </dev/null
    ) &
  fi
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      say "dockerd: up (server $(docker version --format '{{.Server.Version}}'))"
      return
    fi
    sleep 1
  done
  say "dockerd did not answer within 60 s; the end of its log:"
  tail -20 "$LH_E2E_LOG_DIR/dockerd.log" >&2
  return 1
}

timed install_engine
timed start_engine
