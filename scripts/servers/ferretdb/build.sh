#!/usr/bin/env bash
# Build the FerretDB test server (main.go) into ~/.cache/eccs/ferretdb-<version>/ferretdb.
# Idempotent: a stamp next to the binary records the hash of main.go/go.mod/go.sum, so a
# second run with unchanged sources only prints the path. Needs Go and the Go module proxy.
# Prints the binary's path as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(awk '$1 == "require" && $2 == "github.com/FerretDB/FerretDB" { print $3; exit } $1 == "github.com/FerretDB/FerretDB" { print $2; exit }' "$here/go.mod")"
[[ -n "$version" ]] || { echo "cannot read the FerretDB version in go.mod" >&2; exit 1; }
dir="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/ferretdb-${version}"
bin="$dir/ferretdb"
stamp="$dir/.built"
want="$(cd "$here" && cat main.go go.mod go.sum | sha256sum | cut -d' ' -f1)"

mkdir -p "$dir"
# Serialise concurrent callers (parallel test workers) on one build.
exec 9>"$dir/.lock"
flock 9

if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "ferretdb ${version}: cached"
    echo "$bin"
    exit 0
fi

command -v go >/dev/null || { echo "ferretdb: go is not installed" >&2; exit 1; }
echo "ferretdb ${version}: building (first time takes a few minutes)..."
start=$SECONDS
# ferretdb_no_sqlite: we only use the PostgreSQL handler; leaving out the pure-Go SQLite
# (modernc.org/sqlite) roughly halves the compile. -buildvcs=false: the checkout's git
# state is irrelevant and git may be absent. go.sum is committed, so -mod=readonly holds.
(cd "$here" && go build -trimpath -buildvcs=false -tags ferretdb_no_sqlite -o "$bin.tmp" .)
mv -f "$bin.tmp" "$bin"
echo "$want" > "$stamp"
echo "ferretdb ${version}: built in $((SECONDS - start))s"
echo "$bin"
