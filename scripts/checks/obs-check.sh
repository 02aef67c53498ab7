#!/usr/bin/env bash
# `make obs-check`: the observability configuration is valid and its alerts are tested.
#   - promtool: Prometheus's configuration and rules load; every alert's unit tests pass
#   - amtool: Alertmanager's configuration loads
#   - every alert has a runbook line and tests both firing and not firing
#   - the dashboards are Grafana JSON whose panels all have a query, with provisioning files
# promtool and amtool are Debian's (prometheus, prometheus-alertmanager), installed when missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make obs-check needs promtool and amtool: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (Debian packages, for promtool and amtool)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$repo/deploy"
promtool check config --syntax-only prometheus/prometheus.yml
promtool check rules prometheus/rules/*.yml
promtool test rules prometheus/tests/*.test.yml
amtool check-config alertmanager/alertmanager.yml
cd "$repo"
"$repo/.venv/bin/python" -m scripts.checks.obs_check
