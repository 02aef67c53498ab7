#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install what the container images and the compose stack need on a Debian 12 machine:
# podman, buildah, mmdebstrap, netavark, aardvark-dns, runc, iptables (netavark's firewall) and
# age (`make stack-secrets` makes the backups' key with age-keygen) from Debian, and podman-compose
# from PyPI (Debian's 1.0.3 is too old for compose.yaml), cached under ~/.cache/eccs keyed by
# version. Idempotent: a second run only checks. Then writes the podman settings that
# scripts/containers/podman uses (see containers.conf beside this script for why).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

packages=()
for tool in podman:podman buildah:buildah mmdebstrap:mmdebstrap runc:runc \
  /usr/lib/podman/netavark:netavark /usr/lib/podman/aardvark-dns:aardvark-dns \
  /usr/bin/catatonit:catatonit /usr/bin/fuse-overlayfs:fuse-overlayfs iptables:iptables \
  age-keygen:age; do
  path=${tool%%:*}
  if [[ $path == /* ]]; then [[ -x $path ]] || packages+=("${tool#*:}"); else
    command -v "$path" >/dev/null || packages+=("${tool#*:}"); fi
done
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The container images and the stack need these Debian packages: ${packages[*]}." >&2
    echo "Install them with: sudo apt-get install -y ${packages[*]}" >&2
    exit 1
  fi
  echo "Installing ${packages[*]} (Debian packages)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
fi

# podman-compose from PyPI, in a virtual environment of its own.
if [[ ! -x $ECCS_PODMAN_COMPOSE ]]; then
  echo "Installing podman-compose $PODMAN_COMPOSE_VERSION into $(dirname "$(dirname "$ECCS_PODMAN_COMPOSE")")…"
  venv="$(dirname "$(dirname "$ECCS_PODMAN_COMPOSE")")"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION"
fi

# The settings: containers.conf as committed, storage.conf pointing into the cache.
mkdir -p "$(dirname "$CONTAINERS_STORAGE_CONF")" "$ECCS_CONTAINERS_DIR/storage"
cat >"$CONTAINERS_STORAGE_CONF.tmp" <<CONF
# Written by scripts/containers/install.sh: ECCS's images and containers live here.
[storage]
driver = "overlay"
graphroot = "$ECCS_CONTAINERS_DIR/storage"
runroot = "/run/eccs-containers"
CONF
mv "$CONTAINERS_STORAGE_CONF.tmp" "$CONTAINERS_STORAGE_CONF"

echo "Containers: $(podman --version), $("$ECCS_PODMAN_COMPOSE" --version 2>/dev/null | grep -m1 podman-compose) ready."
