#!/usr/bin/env bash
# Build the gateway, Traefik, from the Go module proxy into ~/.cache/eccs/traefik-<version>/,
# for the local gateway image (deploy/local/traefik). Users' stacks run the official image.
# Idempotent: a stamp records the hash of go.mod/go.sum; unchanged, nothing is rebuilt.
# Prints the binary's path as its last line. Needs Go 1.25+ and the Go module proxy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module=github.com/traefik/traefik/v3
version="$(awk -v m="$module" '$1 == m { print $2; exit }' "$here/go.mod")"
[[ -n "$version" ]] || { echo "cannot read the Traefik version in go.mod" >&2; exit 1; }
dir="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/traefik-$version"
bin="$dir/traefik"
want="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -d' ' -f1)"

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -x $bin && "$(cat "$dir/.built" 2>/dev/null)" == "$want" ]]; then
  echo "traefik $version: cached"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "traefik: go is not installed (https://go.dev/dl/)" >&2; exit 1; }
echo "traefik $version: building (the first time takes several minutes)…"
start=$SECONDS
# Static (no cgo) so that it runs on any base image; -s -w leaves out the debug tables.
(cd "$here" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X $module/pkg/version.Version=$version" -o "$bin.tmp" "$module/cmd/traefik")
mv -f "$bin.tmp" "$bin"
echo "$want" >"$dir/.built"
echo "traefik $version: built in $((SECONDS - start))s ($(du -m "$bin" | cut -f1) MB)"
echo "$bin"
