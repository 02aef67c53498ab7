#!/bin/bash
# The official postgres image's start, for the variables ECCS's stack uses: on an empty data
# directory, initdb with the superuser POSTGRES_USER and its password, create POSTGRES_DB, run
# /docker-entrypoint-initdb.d/*; then serve on every address with password (SCRAM) logins.
set -euo pipefail

password=${POSTGRES_PASSWORD:-}
if [[ -n ${POSTGRES_PASSWORD_FILE:-} ]]; then password=$(<"$POSTGRES_PASSWORD_FILE"); fi
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  [[ -n $password ]] || { echo "start-postgres: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2; exit 1; }
  initdb --username="$user" --pwfile=<(printf '%s\n' "$password") --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --no-instructions >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --silent -o "-c listen_addresses='' -k /tmp" start
  run_sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc -q -h /tmp -U "$user" "$@"; }
  [[ $database == postgres ]] || run_sql -d postgres -c "CREATE DATABASE \"$database\""
  for script in /docker-entrypoint-initdb.d/*; do
    case $script in
      *.sql) echo "start-postgres: running $script"; run_sql -d "$database" -f "$script" ;;
      *.sh)
        echo "start-postgres: running $script"
        # shellcheck disable=SC1090 # the init scripts are the deployment's own
        source "$script"
        ;;
    esac
  done
  pg_ctl --wait --silent -m fast stop
fi
exec postgres -c listen_addresses='*' -k /tmp
