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
