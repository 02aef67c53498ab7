#!/bin/bash
# The web app's health check: nginx answers /health on its port (bash's /dev/tcp, as neither
# curl nor wget is in every nginx image).
exec 3<>"/dev/tcp/127.0.0.1/${ECCS_WEB_PORT:-8080}" || exit 1
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 3 status <&3 && [[ $status == "HTTP/1."?" 200"* ]]
