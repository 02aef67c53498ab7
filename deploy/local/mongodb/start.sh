#!/bin/sh
# FerretDB on 27017, on the PostgreSQL of FERRETDB_POSTGRESQL_URL; the password, if any, from
# the file in FERRETDB_POSTGRESQL_PASSWORD_FILE (a container secret) rather than the URL.
set -eu
url=${FERRETDB_POSTGRESQL_URL:?FERRETDB_POSTGRESQL_URL names the PostgreSQL database to use}
if [ -n "${FERRETDB_POSTGRESQL_PASSWORD_FILE:-}" ]; then
  PGPASSWORD="$(cat "$FERRETDB_POSTGRESQL_PASSWORD_FILE")"
  export PGPASSWORD
fi
exec ferretdb -listen-addr 0.0.0.0:27017 -postgresql-url "$url"
