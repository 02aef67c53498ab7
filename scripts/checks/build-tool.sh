#!/usr/bin/env bash
# Build one of the Go tools pinned in this directory's go.mod (kubeconform, actionlint) into
# ~/.cache/eccs/<tool>-<version>/<tool>, once: later runs find it there. Needs Go and the Go
# module proxy the first time only. Prints the binary's path as its last line.
#   scripts/checks/build-tool.sh kubeconform
set -euo pipefail

tool=${1:?usage: build-tool.sh kubeconform|actionlint}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(awk -v tool="$tool" '$1 ~ "/cmd/" tool "$" { print $1 }' "$here/go.mod")"
[[ -n "$package" ]] || { echo "$tool is not a tool of $here/go.mod" >&2; exit 1; }
version="$(awk -v module="${package%/cmd/*}" '$1 == module { print $2; exit }' "$here/go.mod")"
[[ -n "$version" ]] || { echo "cannot read the version of $tool in $here/go.mod" >&2; exit 1; }
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
