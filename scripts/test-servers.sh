#!/usr/bin/env bash
# Install the servers the test suite starts as local processes (see tests/servers/), and the
# browser and web server of the web app's browser tests (frontend/e2e/).
# Debian packages are installed when missing; everything else is fetched and cached per version
# under ~/.cache/eccs by the scripts in scripts/servers/.
#
#   scripts/test-servers.sh                    every part the tests need
#   scripts/test-servers.sh postgres kafka     only those parts; the benchmark (bench/) asks for
#                                              postgres kafka smtp load-generators
set -euo pipefail

apt_updated=false
# Installs Debian packages, or (not root) says how to and stops. $1: who needs them.
install_debian() {
  local who=$1
  shift
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who need these Debian packages: $*." >&2
    echo "Install them with: sudo apt-get install -y $*" >&2
    exit 1
  fi
  echo "Installing $* (Debian packages)…"
  if [ "$apt_updated" = false ]; then
    apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# A Debian service whose package the tests need, but never running: they start their own process.
keep_stopped() {
  if command -v systemctl >/dev/null && systemctl is-enabled "$1" >/dev/null 2>&1; then
    systemctl disable "$1" >/dev/null 2>&1 || true
    systemctl stop "$1" >/dev/null 2>&1 || true  # fails harmlessly where systemd is not running
  fi
}

part_postgres() {
  local need_packages=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need_packages+=(postgresql-15)
  command -v runuser >/dev/null || need_packages+=(util-linux)
  # `make ci-check` runs it on the workflows' scripts (through actionlint) and on ours.
  command -v shellcheck >/dev/null || need_packages+=(shellcheck)

  install_debian "The tests" "${need_packages[@]}"
  # Debian's package starts a cluster of its own; the tests start their own servers instead.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
    pg_ctlcluster 15 main stop 2>/dev/null || true
  fi
  echo "Test servers: PostgreSQL 15 ready to start."
}

# --- Kafka: Apache Kafka 4.x (KRaft) jars from Maven Central, cached per version ---------------
part_kafka() {
  local kafka_packages=()
  command -v java >/dev/null || kafka_packages+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || kafka_packages+=(maven)
  install_debian "The Kafka tests" "${kafka_packages[@]}"
  # fetch.sh says whether the jars were cached or how long fetching took; its last line (the
  # Kafka home, for tests/servers/kafka.py) is left out here.
  bash "$(dirname "${BASH_SOURCE[0]}")/servers/kafka/fetch.sh" | sed '$d'
  echo "Test servers: Kafka ready to start."
}

# --- SMTP: Postfix's smtp-sink, an independent SMTP server for the sender's tests and benchmark --
part_smtp() {
  if [ ! -x /usr/sbin/smtp-sink ] && ! command -v smtp-sink >/dev/null; then
    # Installed unconfigured: only its smtp-sink is wanted (answer "No configuration" if asked).
    [ "$(id -u)" -ne 0 ] ||
      echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    install_debian "The SMTP tests (smtp-sink)" postfix
  fi
  # Never leave Debian's own mail system running on a test machine.
  keep_stopped postfix
  if /usr/sbin/postfix status >/dev/null 2>&1; then
    /usr/sbin/postfix stop >/dev/null 2>&1 || true
  fi
  echo "Test servers: smtp-sink ready to start."
}

# --- MongoDB wire protocol: FerretDB 1.24 built from the Go module proxy, cached per version ---
part_mongodb() {
  # build.sh says whether the binary was cached or how long building took; its last line (the
  # binary, for tests/servers/ferretdb.py) is left out here. Debian's Go (1.19) is too old for it.
  if bash "$(dirname "${BASH_SOURCE[0]}")/servers/ferretdb/build.sh" | sed '$d'; then
    echo "Test servers: FerretDB ready to start."
  elif [ "${CI:-}" = "true" ]; then
    echo "The MongoDB-wire tests need FerretDB, built once with Go 1.24+ (https://go.dev/dl/)." >&2
    exit 1
  else
    echo "Test servers: FerretDB could not be built (needs Go 1.24+, https://go.dev/dl/);" \
      "the MongoDB-wire tests will skip." >&2
  fi
}

# --- The web app's browser tests: Debian's Chromium (driven by Playwright) and nginx ----------
part_browser() {
  # Playwright's own browser downloads are not used: Debian's Chromium is the browser under test.
  local web_packages=() nginx_package
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || web_packages+=(chromium)
  # Screenshots need at least one font; Chromium alone does not insist on one.
  [ -d /usr/share/fonts/truetype/dejavu ] || web_packages+=(fonts-dejavu-core)
  [ -x "${NGINX:-/usr/sbin/nginx}" ] || web_packages+=(nginx)
  # nginx-light is nginx with only the common modules (all the web app's config uses); Debian
  # releases without it have plain nginx.
  if apt-cache show nginx >/dev/null 2>&1 && ! apt-cache show nginx-light >/dev/null 2>&1; then
    nginx_package=nginx
  else
    nginx_package=nginx-light
  fi
  install_debian "The browser tests" "${web_packages[@]/#nginx/$nginx_package}"
  # The tests run their own nginx with the web app's config: never leave Debian's running (its
  # default site would hold port 80).
  keep_stopped nginx
  if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
    /usr/sbin/nginx -s quit 2>/dev/null || true
  fi
  echo "Browser tests: Chromium $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | awk '{print $2}') and nginx ready."
}

# --- The benchmark's load generators (bench/): wrk for the HTTP figures, h2load for a fixed
# number of requests or a fixed rate -------------------------------------------------------------
part_load_generators() {
  local packages=()
  command -v wrk >/dev/null || packages+=(wrk)
  command -v h2load >/dev/null || packages+=(nghttp2-client)
  install_debian "The benchmark" "${packages[@]}"
  echo "Benchmark: wrk and h2load ready."
}

parts=("$@")
[ $# -gt 0 ] || parts=(postgres kafka smtp mongodb browser)
for part in "${parts[@]}"; do
  if ! declare -F "part_${part//-/_}" >/dev/null; then
    echo "unknown part: $part (parts: postgres kafka smtp mongodb browser load-generators)" >&2
    exit 2
  fi
  "part_${part//-/_}"
done
