#!/bin/bash
# ferretdb-ready: succeeds when FerretDB answers {ping: 1} with ok: 1, which it does only once it
# reaches its PostgreSQL (a mongosh-free version of the official image's health check).
set -euo pipefail
exec 3<>/dev/tcp/127.0.0.1/27017
# OP_MSG: length 51 | request id 1 | response to 0 | op code 2013 | flags 0 | section kind 0 |
# BSON {ping: 1 (int32), $db: "admin"} (30 bytes)
printf '\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00' >&3
# shellcheck disable=SC2016 # "$db" is the BSON key's own name
printf '\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00' >&3
length=$(timeout 5 head -c 4 <&3 | od -An -tu4 | tr -d ' ')
reply=$(timeout 5 head -c $((length - 4)) <&3 | od -An -tx1 | tr -d ' \n')
# "ok" as a double 1.0: 0x01 'o' 'k' 0x00 then 1.0 in little-endian IEEE 754
[[ $reply == *016f6b00000000000000f03f* ]]
