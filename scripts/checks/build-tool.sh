#!/usr/bin/env bash
# Build one of the Go tools pinned in this directory's go.mod (kubeconform, actionlint) or in
# scan/go.mod (Trivy, kept apart: its many dependencies would move the others') into
# ~/.cache/eccs/<tool>-<version>/<tool>, once: later runs find it there. Needs Go and the Go
# module proxy the first time only. Prints the binary's path as its last line.
#   scripts/checks/build-tool.sh kubeconform
set -euo pipefail

tool=${1:?usage: build-tool.sh kubeconform|actionlint|trivy}
checks="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
here="$(dirname "$(grep -lE "(^tool |^[[:space:]]+)[^ ]+/cmd/${tool}\$" "$checks"/go.mod "$checks"/*/go.mod | head -n 1)")"
[[ "$here" != . ]] || { echo "$tool is not a tool of a go.mod in $checks" >&2; exit 1; }
package="$(awk -v tool="$tool" '$NF ~ "/cmd/" tool "$" { print $NF; exit }' "$here/go.mod")"
version="$(awk -v module="${package%/cmd/*}" '$1 == module { print $2; exit }' "$here/go.mod")"
[[ -n "$version" ]] || { echo "cannot read the version of $tool in $here/go.mod" >&2; exit 1; }
# Trivy uses encoding/json/v2, still behind an experiment flag in Go 1.26.
[[ "$tool" != trivy ]] || export GOEXPERIMENT=jsonv2
dir="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/${tool}-${version}"
bin="$dir/$tool"

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -x "$bin" ]]; then
    echo "$tool $version: cached"
    echo "$bin"
    exit 0
fi
command -v go >/dev/null || { echo "$tool: Go is not installed (https://go.dev/dl/)" >&2; exit 1; }
echo "$tool $version: building from the Go module proxy…"
start=$SECONDS
(cd "$here" && go build -trimpath -buildvcs=false -o "$bin.tmp" "$package")
mv -f "$bin.tmp" "$bin"
echo "$tool $version: built in $((SECONDS - start))s"
echo "$bin"
