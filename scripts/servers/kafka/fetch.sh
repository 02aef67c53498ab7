#!/usr/bin/env bash
# Fetch Apache Kafka (broker + controller jars, their runtime dependencies and log4j) from
# Maven Central into ~/.cache/eccs/kafka-<version>/libs, for tests/servers/kafka.py.
# Idempotent: a marker file says the libs dir is complete; then nothing is fetched.
# Needs Java 17+ and Maven. Prints the Kafka home (the dir holding libs/) as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
[[ -n "$version" ]] || { echo "cannot read the kafka.version in pom.xml" >&2; exit 1; }
home="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/kafka-${version}"
marker="$home/.complete"
# The marker holds the pom's hash, so editing pom.xml (say, the log4j version) refetches.
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

mkdir -p "$home"
# Serialise concurrent callers (parallel test workers) on one fetch.
exec 9>"$home/.lock"
flock 9

if [[ -f "$marker" && "$(cat "$marker")" == "$want" && -d "$home/libs" ]]; then
    echo "kafka ${version}: cached"
    echo "$home"
    exit 0
fi

for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "kafka: $tool is not installed" >&2; exit 1; }
done

echo "kafka ${version}: fetching jars from Maven Central (first time takes about a minute)..."
start=$SECONDS
rm -rf "$home/libs.tmp"
log="$home/fetch.log"
# Copy into libs.tmp and rename at the end, so an interrupted fetch never looks complete.
if ! mvn -B -ntp -f "$here/pom.xml" \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$home/libs.tmp" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "kafka ${version}: mvn failed (full log: $log)" >&2
    exit 1
fi
rm -rf "$home/libs"
mv "$home/libs.tmp" "$home/libs"
echo "$want" > "$marker"
echo "kafka ${version}: $(ls "$home/libs" | wc -l) jars in $((SECONDS - start))s"
echo "$home"
