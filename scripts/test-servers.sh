#!/usr/bin/env bash
# Install the servers the test suite starts as local processes (see tests/servers/).
# Debian packages are installed when missing; everything else is fetched and cached per version
# under ~/.cache/eccs by the scripts in scripts/servers/.
set -euo pipefail

need_packages=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_packages+=(postgresql-15)
command -v runuser >/dev/null || need_packages+=(util-linux)

if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these Debian packages: ${need_packages[*]}." >&2
    echo "Install them with: sudo apt-get install -y ${need_packages[*]}" >&2
    exit 1
  fi
  echo "Installing ${need_packages[*]} (Debian packages)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi
# Debian's package starts a cluster of its own; the tests start their own servers instead.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster 15 main stop 2>/dev/null || true
fi
echo "Test servers: PostgreSQL 15 ready to start."

# --- Kafka: Apache Kafka 4.x (KRaft) jars from Maven Central, cached per version ---------------
kafka_packages=()
command -v java >/dev/null || kafka_packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || kafka_packages+=(maven)
if [ ${#kafka_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The Kafka tests need these Debian packages: ${kafka_packages[*]}." >&2
    echo "Install them with: sudo apt-get install -y ${kafka_packages[*]}" >&2
    exit 1
  fi
  echo "Installing ${kafka_packages[*]} (Debian packages)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${kafka_packages[@]}" >/dev/null
fi
# fetch.sh says whether the jars were cached or how long fetching took; its last line (the
# Kafka home, for tests/servers/kafka.py) is left out here.
bash "$(dirname "${BASH_SOURCE[0]}")/servers/kafka/fetch.sh" | sed '$d'
echo "Test servers: Kafka ready to start."

# --- SMTP: Postfix's smtp-sink, an independent SMTP server for the sender's tests and benchmark --
if [ ! -x /usr/sbin/smtp-sink ] && ! command -v smtp-sink >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The SMTP tests need smtp-sink from Debian's postfix package." >&2
    echo "Install it with: sudo apt-get install -y postfix (choose 'No configuration')" >&2
    exit 1
  fi
  echo "Installing postfix (Debian package, for smtp-sink)…"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
# Only smtp-sink is wanted: never leave Debian's own mail system running on a test machine.
if command -v systemctl >/dev/null && systemctl is-enabled postfix >/dev/null 2>&1; then
  systemctl disable postfix >/dev/null 2>&1 || true
  systemctl stop postfix >/dev/null 2>&1 || true  # fails harmlessly where systemd is not running
fi
if /usr/sbin/postfix status >/dev/null 2>&1; then
  /usr/sbin/postfix stop >/dev/null 2>&1 || true
fi
echo "Test servers: smtp-sink ready to start."

# --- MongoDB wire protocol: FerretDB 1.24 built from the Go module proxy, cached per version ---
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
