# shellcheck shell=bash
# Shared helpers of the e2e provisioning steps: timed steps, one apt-get update per run, and a
# Debian trixie apt configuration of its own (compose, buildx and the monitoring stand-ins come
# from trixie; the machine's own sources stay untouched).

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export E2E_DIR
LH_E2E_CACHE="${LH_E2E_CACHE:-/var/cache/lh-e2e}"
LH_E2E_LOG_DIR="${LH_E2E_LOG_DIR:-/var/log/lh-e2e}"
export DEBIAN_FRONTEND=noninteractive

say() { printf '[provision] %s\n' "$*" >&2; }

# Runs "$@" and says how long it took.
timed() {
  local started=$SECONDS
  "$@"
  say "${*:1:2}: done in $((SECONDS - started)) s"
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  # A package's daemon must not start on this machine as it installs (dockerd is started below,
  # with a log file of its own).
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

trixie_apt_dir="$LH_E2E_CACHE/apt-trixie"
trixie_apt() {
  apt-get \
    -o Dir::Etc::SourceList="$trixie_apt_dir/sources.list" \
    -o Dir::Etc::SourceParts="$trixie_apt_dir/parts" \
    -o Dir::State::Lists="$trixie_apt_dir/lists" \
    -o Dir::Cache::Archives="$trixie_apt_dir/archives" \
    -o Dir::State::status="$trixie_apt_dir/status" \
    "$@"
}

trixie_updated=""
# Downloads Debian trixie packages (.deb files) into folder $1.
trixie_download() {
  local into="$1"
  shift
  if [ -z "$trixie_updated" ]; then
    mkdir -p "$trixie_apt_dir/lists/partial" "$trixie_apt_dir/archives/partial" "$trixie_apt_dir/parts"
    echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' \
      >"$trixie_apt_dir/sources.list"
    : >"$trixie_apt_dir/status"
    say "apt-get update (trixie, own configuration)"
    trixie_apt update -qq
    trixie_updated=1
  fi
  mkdir -p "$into"
  # apt warns that root downloads "unsandboxed" into a folder _apt cannot write: expected here.
  (cd "$into" && trixie_apt download "$@" 2>&1) | { grep -v 'unsandboxed' >&2 || true; }
  for package in "$@"; do
    compgen -G "$into/${package}_*.deb" >/dev/null || { say "could not download $package from trixie"; return 1; }
  done
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The label value an image was built with ("" when the image or label is absent).
image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# sha256 of every file below folder $1 (names and contents): an image built from it is current
# when its label carries the same hash.
context_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}
