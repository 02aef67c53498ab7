#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build the local stand-ins for the official images (deploy/local/*/Containerfile) on the local
# Debian base, for machines that reach no image registry: what `IMAGE_BASE=local` builds the
# ECCS images on and what compose.local.yaml runs. Each image is rebuilt only when its inputs
# (its folder, what it is built on, the artifacts passed in) changed: its label says which.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
local_dir="$repo/deploy/local"

"$here/base-image.sh"
image_key() { podman image inspect --format '{{index .Labels "eccs.local.key"}}' "$1" 2>/dev/null || true; }

# build NAME TAG BASE [--build-context name=path]...: one stand-in, unless it is up to date.
build() {
  local name=$1 tag=$2 base=$3
  shift 3
  local contexts=("$@") key
  key="$( (image_key "$base"; podman image inspect --format '{{.Id}}' "$base";
    tar -C "$local_dir/$name" -cf - --sort=name --mtime=@0 --owner=0 --group=0 .;
    for context in "${contexts[@]}"; do
      find "${context#*=}" -type f ! -name '.*' -printf '%P %s %T@\n' | sort
    done) | sha256sum | cut -c1-16)"
  if [[ "$(image_key "$tag")" == "$key" ]]; then
    echo "Local image $tag: up to date"
    return
  fi
  echo "Local image $tag: building…"
  local start=$SECONDS args=()
  for context in "${contexts[@]}"; do args+=(--build-context "$context"); done
  podman build --quiet --layers --build-arg "BASE_IMAGE=$base" --label "eccs.local.key=$key" \
    "${args[@]}" --tag "$tag" "$local_dir/$name" >/dev/null
  echo "Local image $tag: built in $((SECONDS - start))s"
}

# local-images.sh [NAME...]: the stand-ins named (python, node, nginx, postgres, kafka, mongodb,
# traefik, and the observability parts: prometheus, alertmanager, jaeger, victorialogs,
# otel-collector, zipkin), or all of them.
wanted=" ${*:-python node nginx postgres kafka mongodb traefik prometheus alertmanager jaeger victorialogs otel-collector zipkin} "
want() { [[ $wanted == *" $1 "* ]]; }
base=localhost/eccs-debian-base:bookworm
if want python || want node; then build python "$ECCS_LOCAL_PYTHON" "$base"; fi
if want node; then build node "$ECCS_LOCAL_NODE" "$ECCS_LOCAL_PYTHON"; fi
if want nginx; then build nginx "$ECCS_LOCAL_NGINX" "$base"; fi
if want postgres; then build postgres "$ECCS_LOCAL_POSTGRES" "$base"; fi
if want kafka; then
  kafka_home="$(bash "$repo/scripts/servers/kafka/fetch.sh" | tail -n1)"
  build kafka "$ECCS_LOCAL_KAFKA" "$base" "jars=$kafka_home/libs"
fi
if want mongodb; then
  ferretdb="$(bash "$repo/scripts/servers/ferretdb/build.sh" | tail -n1)"
  build mongodb "$ECCS_LOCAL_MONGODB" "$base" "ferretdb=$(dirname "$ferretdb")"
fi
if want traefik; then
  traefik="$("$here/go-tool.sh" traefik | tail -n1)"
  build traefik "$ECCS_LOCAL_TRAEFIK" "$base" "traefik=$(dirname "$traefik")"
fi
if want prometheus; then build prometheus "$ECCS_LOCAL_PROMETHEUS" "$base"; fi
if want alertmanager; then build alertmanager "$ECCS_LOCAL_ALERTMANAGER" "$base"; fi
# go_built NAME TOOL IMAGE: a stand-in made of one Go program built by go-tool.sh.
go_built() {
  local binary
  binary="$("$here/go-tool.sh" "$2" | tail -n1)"
  build "$1" "$3" "$base" "$2=$(dirname "$binary")"
}
if want jaeger; then go_built jaeger jaeger "$ECCS_LOCAL_JAEGER"; fi
if want victorialogs; then go_built victorialogs victorialogs "$ECCS_LOCAL_VICTORIALOGS"; fi
if want otel-collector; then go_built otel-collector otelcol "$ECCS_LOCAL_OTEL_COLLECTOR"; fi
if want zipkin; then
  zipkin_jar="$(bash "$here/zipkin-jar.sh" | tail -n1)"
  # On the Kafka stand-in: it is Debian's Java 17 already (its layers are shared).
  build zipkin "$ECCS_LOCAL_ZIPKIN" "$ECCS_LOCAL_KAFKA" "zipkin=$(dirname "$zipkin_jar")"
fi
