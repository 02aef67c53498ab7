#!/usr/bin/env bash
# go-tool.sh NAME: build one of the Go programs the containers' scripts and tests use, from the
# Go module proxy, into ~/.cache/eccs/NAME-VERSION/NAME, and print its path as the last line.
#   traefik         the gateway, for the local gateway image (users' stacks run the official one)
#   compose-check   compose files loaded and validated as Docker Compose does (compose-go)
#   jaeger          Jaeger v2 (traces: OTLP in, the query API), for the local Jaeger image
#   victorialogs    VictoriaLogs (the log store), for the local log store image
#   otelcol         ECCS's OpenTelemetry Collector (otelcol/main.go), for the local collector image
# Each has its own Go module beside this script (go.mod pins the version). Idempotent: a stamp
# holds the hash of the module's files; unchanged, nothing is rebuilt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name=${1:?usage: go-tool.sh traefik|compose-check|jaeger|victorialogs|otelcol}
case $name in
  traefik)
    module=github.com/traefik/traefik/v3 package=$module/cmd/traefik
    stamp_version=$module/pkg/version.Version ;;
  compose-check)
    module=github.com/compose-spec/compose-go/v2 package=. stamp_version="" ;;
  jaeger)
    module=github.com/jaegertracing/jaeger package=$module/cmd/jaeger stamp_version="" ;;
  victorialogs)
    module=github.com/VictoriaMetrics/VictoriaLogs package=$module/app/victoria-logs stamp_version="" ;;
  otelcol)
    module=github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver
    package=. stamp_version=main.version ;;
  *) echo "go-tool.sh: no program named $name" >&2; exit 2 ;;
esac
source_dir="$here/$name"
version="$(awk -v m="$module" '$1 == m || ($1 == "require" && $2 == m) { print $NF == "indirect" ? $(NF-2) : $NF; exit }' "$source_dir/go.mod")"
[[ $version == v* ]] || { echo "cannot read the version of $module in $source_dir/go.mod" >&2; exit 1; }
dir="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/$name-$version"
bin="$dir/$name"
shopt -s nullglob
want="$(cat "$source_dir"/go.mod "$source_dir"/go.sum "$source_dir"/*.go | sha256sum | cut -d' ' -f1)"

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -x $bin && "$(cat "$dir/.built" 2>/dev/null)" == "$want" ]]; then
  echo "$name $version: cached"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "$name: go is not installed (https://go.dev/dl/)" >&2; exit 1; }
echo "$name $version: building (the first time takes a few minutes)…"
start=$SECONDS
# Static (no cgo), so that it runs in any image; -s -w leaves out the debug tables.
ldflags="-s -w${stamp_version:+ -X $stamp_version=$version}"
(cd "$source_dir" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" \
  -o "$bin.tmp" "$package")
mv -f "$bin.tmp" "$bin"
echo "$want" >"$dir/.built"
echo "$name $version: built in $((SECONDS - start))s ($(du -m "$bin" | cut -f1) MB)"
echo "$bin"
