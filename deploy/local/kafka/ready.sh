#!/bin/bash
# kafka-ready HOST PORT: succeeds when the broker answers an ApiVersions request (v0) without
# an error, the check the official image makes with kafka-broker-api-versions.sh, without
# starting a second JVM.
set -euo pipefail
exec 3<>"/dev/tcp/$1/$2"
# size 15 | api_key 18 (ApiVersions) | version 0 | correlation id 7 | client id "ready"
printf '\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x07\x00\x05ready' >&3
# size (4) | correlation id 7 (4) | error code 0 (2)
answer=$(timeout 5 head -c 10 <&3 | od -An -tx1 | tr -d ' \n')
[[ ${answer:8:12} == 000000070000 ]]
