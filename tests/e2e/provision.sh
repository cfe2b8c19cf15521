#!/usr/bin/env bash
# Makes this machine ready for `npm run e2e`, idempotently: a Docker engine (installed and started
# when missing), the compose and buildx plugins, the base images and the third-party stand-ins.
# Needs root, Debian's package archive and the npm registry. Each step says what it did and how long.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=$SECONDS
if [ "$(id -u)" != 0 ]; then
  echo "tests/e2e/provision.sh: run as root (it installs packages and starts dockerd)" >&2
  exit 2
fi
bash "$here/provision/engine.sh"
bash "$here/provision/plugins.sh"
bash "$here/provision/base-images.sh"
bash "$here/provision/stand-ins.sh"
echo "[provision] machine ready for the e2e in $((SECONDS - started)) s" >&2
