#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build ECCS's two images, $IMAGE_PREFIX eccs:$IMAGE_TAG (the services) and eccs-web:$IMAGE_TAG
# (the web app), also tagged latest, and print their sizes. IMAGE_BASE picks what they are built
# on (env.sh: auto, official or local). Labels carry the version, the commit and the source.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
prefix=${IMAGE_PREFIX-localhost/}
tag=${IMAGE_TAG:-$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo dev)}

base="$(eccs_image_base)"
bases=()
if [[ $base == local ]]; then
  "$here/local-images.sh" python node nginx
  bases=(--build-arg "PYTHON_IMAGE=$ECCS_LOCAL_PYTHON" --build-arg "NODE_IMAGE=$ECCS_LOCAL_NODE"
    --build-arg "NGINX_IMAGE=$ECCS_LOCAL_NGINX")
fi
labels=(--build-arg "VERSION=$tag"
  --build-arg "REVISION=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
  --build-arg "SOURCE=$(git -C "$repo" config --get remote.origin.url 2>/dev/null || echo unknown)")

build() {  # build NAME CONTAINERFILE
  local image="$prefix$1:$tag" start=$SECONDS
  echo "Image $image: building on the $base base images…"
  if ! podman build --format docker --layers "${bases[@]}" "${labels[@]}" -f "$repo/$2" \
    -t "$image" -t "$prefix$1:latest" "$repo" >"$ECCS_CONTAINERS_DIR/build-$1.log" 2>&1; then
    tail -n 40 "$ECCS_CONTAINERS_DIR/build-$1.log" >&2
    echo "Image $image: the build failed (log: $ECCS_CONTAINERS_DIR/build-$1.log)" >&2
    exit 1
  fi
  echo "Image $image: built in $((SECONDS - start))s"
}
build eccs Containerfile
build eccs-web frontend/Containerfile

# Earlier commits' images go once they are a day old (the build cache stays, so the next build is
# quick). Younger ones stay: another checkout on this machine may be testing with its own.
mapfile -t superseded < <(podman images --filter until=24h --format '{{.Repository}}:{{.Tag}}' |
  grep -E "^${prefix}eccs(-web)?:" | grep -vE ":(${tag}|latest)\$" || true)
for image in "${superseded[@]}"; do
  podman rmi "$image" >/dev/null 2>&1 || echo "Image $image: kept, a container still uses it"
done
# What rebuilt images and stand-ins left untagged goes too once it is a day old (each stack run
# otherwise left a few GB behind); younger build stages stay as the next build's cache.
podman image prune --force --filter until=24h >/dev/null
for name in eccs eccs-web; do
  size=$(podman image inspect --format '{{.Size}}' "$prefix$name:$tag")
  printf '%-40s %s\n' "$prefix$name:$tag" "$(numfmt --to=si --suffix=B "$size")"
done
