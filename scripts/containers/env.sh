# shellcheck shell=bash
# Sourced by the container scripts: where podman's settings, storage and podman-compose live.
# Everything is under ~/.cache/eccs (ECCS_CACHE_DIR), keyed by version where it is downloaded.
PODMAN_COMPOSE_VERSION=1.6.0
ECCS_CACHE_DIR="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}"
ECCS_CONTAINERS_DIR="$ECCS_CACHE_DIR/containers"
ECCS_PODMAN_COMPOSE="$ECCS_CACHE_DIR/podman-compose-$PODMAN_COMPOSE_VERSION/bin/podman-compose"
CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf"
CONTAINERS_STORAGE_CONF="$ECCS_CONTAINERS_DIR/storage.conf"
export ECCS_CACHE_DIR ECCS_CONTAINERS_DIR ECCS_PODMAN_COMPOSE CONTAINERS_CONF CONTAINERS_STORAGE_CONF

# The local stand-ins for the official images (scripts/containers/local-images.sh).
export ECCS_LOCAL_PYTHON=localhost/eccs-local-python:3.11
export ECCS_LOCAL_NODE=localhost/eccs-local-node:22
export ECCS_LOCAL_NGINX=localhost/eccs-local-nginx:1.22
export ECCS_LOCAL_POSTGRES=localhost/eccs-local-postgres:15
export ECCS_LOCAL_KAFKA=localhost/eccs-local-kafka:4.4.0
export ECCS_LOCAL_MONGODB=localhost/eccs-local-mongodb:ferretdb-1.24.2
export ECCS_LOCAL_TRAEFIK=localhost/eccs-local-traefik:v3.6.12
export ECCS_LOCAL_PROMETHEUS=localhost/eccs-local-prometheus:2.42
export ECCS_LOCAL_ALERTMANAGER=localhost/eccs-local-alertmanager:0.25
export ECCS_LOCAL_JAEGER=localhost/eccs-local-jaeger:v1.75.0
export ECCS_LOCAL_VICTORIALOGS=localhost/eccs-local-victorialogs:v1.52.2
export ECCS_LOCAL_OTEL_COLLECTOR=localhost/eccs-local-otel-collector:v0.165.1
export ECCS_LOCAL_ZIPKIN=localhost/eccs-local-zipkin:3.5.1

# Which images ECCS's are built on, by IMAGE_BASE: `official` (python, node, nginx from the
# registry, as the Containerfiles say), `local` (the stand-ins above), or `auto` (the default):
# official when the official python image is here or can be pulled, local otherwise.
eccs_image_base() {
  local repo official
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  case ${IMAGE_BASE:-auto} in
    official | local) echo "$IMAGE_BASE" ;;
    auto)
      official="$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$repo/Containerfile")"
      if podman image exists "$official" || podman pull --quiet "$official" >/dev/null 2>&1; then
        echo official
      else
        echo "No image registry answers here (pulling $official failed): building on local" \
          "stand-ins made from Debian's packages (IMAGE_BASE=local)." >&2
        echo local
      fi
      ;;
    *) echo "IMAGE_BASE must be auto, official or local, not '$IMAGE_BASE'" >&2; return 1 ;;
  esac
}
