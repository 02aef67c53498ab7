#!/bin/bash
# Write server.properties from the KAFKA_* variables, format the storage once, run the broker.
set -euo pipefail

config=/opt/kafka/config/server.properties
: >"$config"
while IFS='=' read -r name value; do
  [[ $name == KAFKA_* && $name != KAFKA_HEAP_OPTS && $name != KAFKA_OPTS ]] || continue
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/@}
  key=${key//_/.}
  key=${key//@/_}
  printf '%s=%s\n' "$key" "$value" >>"$config"
done < <(env)

classpath="/opt/kafka/libs/*"
read -ra heap <<<"${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
read -ra extra <<<"${KAFKA_OPTS:-}"
java_opts=("${heap[@]}" -XX:+UseSerialGC
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties "${extra[@]}")
log_dir=$(sed -n 's/^log\.dirs=//p' "$config")
if [[ ! -f ${log_dir:-/tmp/kraft-combined-logs}/meta.properties ]]; then
  : "${CLUSTER_ID:?CLUSTER_ID is needed to format the storage on the first start}"
  # A static quorum (controller.quorum.voters) is formatted as is; a dynamic one as its first voter.
  quorum=(--standalone)
  ! grep -q '^controller\.quorum\.voters=' "$config" || quorum=()
  java "${java_opts[@]}" -cp "$classpath" kafka.tools.StorageTool format \
    "${quorum[@]}" -t "$CLUSTER_ID" -c "$config"
fi
exec java "${java_opts[@]}" -cp "$classpath" kafka.Kafka "$config"
