#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The compose stack on this machine, with podman-compose:
#   stack.sh up        build the images, start every service in order, return once all are healthy
#   stack.sh down      stop it and remove its containers and networks (volumes too: STACK_WIPE=1)
#   stack.sh secrets   make the secrets that are missing (ECCS_SECRETS_DIR)
#   stack.sh compose … podman-compose with the stack's files and project, e.g. `compose ps`
#
# Variables: ECCS_STACK_PROJECT (eccs), ECCS_STACK_DIR (./.stack: secrets, logs),
# ECCS_SECRETS_DIR ($ECCS_STACK_DIR/secrets), IMAGE_PREFIX, IMAGE_TAG, IMAGE_BASE (env.sh), and
# the stack's own (.env.example), e.g. ECCS_STACK_HTTPS_PORT.
#
# podman 4.3 ignores depends_on's health conditions (its health checks run from systemd timers,
# which these machines lack), so `up` starts one step at a time and runs each container's health
# check itself until it passes, in the order compose.yaml's depends_on describes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
project=${ECCS_STACK_PROJECT:-eccs}
stack_dir=${ECCS_STACK_DIR:-$repo/.stack}
export ECCS_SECRETS_DIR=${ECCS_SECRETS_DIR:-$stack_dir/secrets}
# The collector reads every container's log file from podman's storage (env.sh).
export ECCS_CONTAINER_LOGS=${ECCS_CONTAINER_LOGS:-$ECCS_CONTAINERS_DIR/storage/overlay-containers}
export IMAGE_PREFIX=${IMAGE_PREFIX-localhost/}
export IMAGE_TAG=${IMAGE_TAG:-$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo dev)}
HEALTHY_WITHIN=${ECCS_STACK_HEALTHY_WITHIN:-240}
mkdir -p "$stack_dir"
log="$stack_dir/compose.log"

# The compose files: the catcher always (this is the trial stack), the local stand-ins when the
# images are built on them; `up` records the choice for `down` and `compose`.
compose_files() {
  local files=(-f "$repo/compose.yaml" -f "$repo/compose.catcher.yaml")
  [[ "$(cat "$stack_dir/image-base" 2>/dev/null)" != local ]] || files+=(-f "$repo/compose.local.yaml")
  printf '%s\n' "${files[@]}"
}

compose() {
  local files
  mapfile -t files < <(compose_files)
  "$ECCS_PODMAN_COMPOSE" --project-name "$project" "${files[@]}" "$@"
}

# Quietly, into the log; on failure its tail is shown.
compose_quietly() {
  if ! compose "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "podman-compose $* failed (log: $log)" >&2
    return 1
  fi
}

containers_of() {
  podman ps -a --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'
}

# Start the services given and wait until each of their containers passes its health check.
start_healthy() {
  local step=$1 start=$SECONDS
  shift
  echo "Stack: starting $step ($*)…"
  compose_quietly up -d --no-deps "$@"
  local containers=() service
  for service in "$@"; do mapfile -t -O "${#containers[@]}" containers < <(containers_of "$service"); done
  local waiting=("${containers[@]}")
  while ((${#waiting[@]})); do
    local still=() container
    for container in "${waiting[@]}"; do
      if [[ "$(podman inspect --format '{{.State.Status}}' "$container")" == exited ]]; then
        fail_with_logs "$container exited" "$container"
      fi
      podman healthcheck run "$container" >/dev/null 2>&1 || still+=("$container")
    done
    waiting=("${still[@]+"${still[@]}"}")
    ((${#waiting[@]})) || break
    ((SECONDS - start < HEALTHY_WITHIN)) ||
      fail_with_logs "not healthy within ${HEALTHY_WITHIN}s: ${waiting[*]}" "${waiting[@]}"
    sleep 2
  done
  echo "Stack: $step healthy in $((SECONDS - start))s"
}

# Run one-shot services and wait for them to finish successfully.
run_once() {
  local step=$1 start=$SECONDS
  shift
  echo "Stack: running $step…"
  compose_quietly up -d --no-deps "$@"
  local service container code
  for service in "$@"; do
    for container in $(containers_of "$service"); do
      code=$(timeout "$HEALTHY_WITHIN" podman wait "$container" || echo timeout)
      [[ $code == 0 ]] || fail_with_logs "$container ended with $code" "$container"
    done
  done
  echo "Stack: $step done in $((SECONDS - start))s"
}

fail_with_logs() {
  local why=$1 container
  shift
  for container in "$@"; do
    echo "--- the last lines of $container:" >&2
    podman logs --tail 25 "$container" >&2 2>&1 || true
  done
  echo "Stack: $why. Look with: scripts/containers/stack.sh compose ps; stop it with: make stack-down" >&2
  exit 1
}

make_secrets() {
  mkdir -p "$ECCS_SECRETS_DIR"
  chmod 700 "$ECCS_SECRETS_DIR"
  # Read by the containers' own users through read-only mounts: readable files in a private folder.
  local dir=$ECCS_SECRETS_DIR
  if [[ ! -s $dir/jwt_private_key.pem ]]; then
    openssl genpkey -algorithm ed25519 -out "$dir/jwt_private_key.pem" 2>/dev/null
    echo "Stack: made a JWT signing key in $dir/jwt_private_key.pem"
  fi
  if [[ ! -s $dir/api_key_secret ]]; then
    openssl rand -base64 32 >"$dir/api_key_secret"
    echo "Stack: made the API keys' HMAC secret in $dir/api_key_secret"
  fi
  if [[ ! -s $dir/postgres_password ]]; then
    openssl rand -hex 24 >"$dir/postgres_password"
    echo "Stack: made a PostgreSQL password in $dir/postgres_password"
  fi
  # Empty means no SMTP authentication; put the relay's password here when SMTP_USER is set.
  [[ -f $dir/smtp_password ]] || : >"$dir/smtp_password"
  # Alertmanager's token for the alert relay, and the password of the account alerts are
  # sent as (`up` makes the account).
  local secret
  for secret in alert_relay_token alert_account_password; do
    [[ -s $dir/$secret ]] || openssl rand -hex 24 >"$dir/$secret"
  done
  if [[ ! -s $dir/backup_key ]]; then
    age-keygen -o "$dir/backup_key" 2>/dev/null
    echo "Stack: made the backups' key in $dir/backup_key: keep a copy elsewhere, no backup" \
      "can be read without it"
  fi
  chmod 644 "$dir"/*
}

up() {
  local start=$SECONDS
  "$here/install.sh"
  make_secrets
  local base
  base="$(eccs_image_base)"
  IMAGE_BASE=$base "$here/images.sh"
  [[ $base != local ]] || "$here/local-images.sh" postgres kafka mongodb traefik \
    prometheus alertmanager jaeger victorialogs otel-collector zipkin
  echo "$base" >"$stack_dir/image-base"
  : >"$log"
  start_healthy "the data stores, the mail catcher and the trace and log stores" \
    postgres kafka mongodb mailcatcher jaeger victorialogs
  start_healthy "metrics, alerts, the collector and Zipkin" prometheus alertmanager otel-collector zipkin
  run_once "the database migrations" migrate
  run_once "the gateway's certificate" gateway-cert
  start_healthy "the services and the backup schedule" auth email notification backup
  start_healthy "the gateway" gateway
  start_healthy "the web app" web
  alert_account
  start_healthy "the alert relay" alert-relay
  local https="https://127.0.0.1:${ECCS_STACK_HTTPS_PORT:-8443}"
  echo "ECCS is up in $((SECONDS - start))s: $https (a self-signed certificate for localhost;"
  echo "  HTTP on port ${ECCS_STACK_HTTP_PORT:-8000} redirects). The mail catcher: $https/api/dev/inbox"
  echo "  Make an administrator: scripts/containers/stack.sh compose exec auth eccs user create --admin --email you@example.com --name You"
  local bind=${ECCS_STACK_BIND:-127.0.0.1}
  echo "  Prometheus http://$bind:${ECCS_PROMETHEUS_PORT:-9090}, Alertmanager http://$bind:${ECCS_ALERTMANAGER_PORT:-9093},"
  echo "  Jaeger http://$bind:${ECCS_JAEGER_PORT:-16686}, Zipkin http://$bind:${ECCS_ZIPKIN_PORT:-9411}/zipkin/,"
  echo "  logs http://$bind:${ECCS_VICTORIALOGS_PORT:-9428}/select/vmui/"
  echo "  Stop it: make stack-down (STACK_WIPE=1 also deletes its data)"
}

# The account alerts are mailed as (ALERT_ACCOUNT_EMAIL), made once with its secret password.
alert_account() {
  local email=${ALERT_ACCOUNT_EMAIL:-alerts@example.com} password made
  password="$(cat "$ECCS_SECRETS_DIR/alert_account_password")"
  # Typed in twice, as at the prompt: on the command line it would show in the process list.
  if made="$(printf '%s\n%s\n' "$password" "$password" | compose exec -T auth \
    eccs user create --email "$email" --name "ECCS alerts" 2>&1)"; then
    echo "Stack: made the alert account $email"
  elif [[ $made != *"already"* ]]; then
    echo "$made" >&2
    fail_with_logs "the alert account $email could not be made" "$(containers_of auth | head -n1)"
  fi
}

down() {
  local start=$SECONDS volumes=()
  [[ ${STACK_WIPE:-0} != 1 ]] || volumes=(--volumes)
  if [[ -x $ECCS_PODMAN_COMPOSE ]]; then
    compose_quietly down --timeout 10 "${volumes[@]}"
  fi
  local left
  left="$(podman ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}')"
  [[ -z $left ]] || { echo "Stack: containers left behind: $left" >&2; exit 1; }
  left="$(podman network ls --format '{{.Name}}' | grep "^${project}_" || true)"
  [[ -z $left ]] || { echo "Stack: networks left behind: $left" >&2; exit 1; }
  if [[ ${STACK_WIPE:-0} == 1 ]]; then
    echo "Stack: stopped and removed in $((SECONDS - start))s, its data too"
  else
    echo "Stack: stopped and removed in $((SECONDS - start))s; its data is kept (STACK_WIPE=1 deletes it)"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  secrets) "$here/install.sh" >/dev/null && make_secrets ;;
  compose) shift; compose "$@" ;;
  *) echo "usage: $0 up|down|secrets|compose ARGS…" >&2; exit 2 ;;
esac
