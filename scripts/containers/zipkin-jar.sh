#!/usr/bin/env bash
# zipkin-jar.sh: Zipkin's server (its executable jar, io.zipkin:zipkin-server:VERSION:exec) from
# Maven Central into ~/.cache/eccs/zipkin-VERSION/zipkin.jar, for the local Zipkin image; prints
# the jar's path as the last line. Idempotent: a cached jar is not fetched again.
set -euo pipefail

version=3.5.1
dir="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/zipkin-$version"
jar="$dir/zipkin.jar"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -s $jar ]]; then
  echo "zipkin $version: cached"
  echo "$jar"
  exit 0
fi
command -v mvn >/dev/null || { echo "zipkin: Maven (mvn) is not installed" >&2; exit 1; }
echo "zipkin $version: fetching its server jar from Maven Central (131 MB)…"
mvn -q -B dependency:copy -Dartifact="io.zipkin:zipkin-server:$version:jar:exec" \
  -DoutputDirectory="$dir" -Dmdep.stripVersion=true -Dmdep.stripClassifier=true >&2
mv "$dir/zipkin-server.jar" "$jar.tmp" && mv "$jar.tmp" "$jar"
echo "$jar"
