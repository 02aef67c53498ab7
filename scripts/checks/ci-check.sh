#!/usr/bin/env bash
# `make ci-check`: the CI/CD workflows pass actionlint (which runs shellcheck on every `run:`
# script), the shell scripts the workflows call pass shellcheck, and every ignored vulnerability
# says why. actionlint is built from the Go module proxy (scripts/checks/go.mod) and cached.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v shellcheck >/dev/null; then
    echo "ci-check needs shellcheck: apt-get install shellcheck (make test-servers does it as root)" >&2
    exit 1
fi
built="$(scripts/checks/build-tool.sh actionlint)"
sed '$d' <<<"$built"
actionlint="$(tail -n 1 <<<"$built")"
"$actionlint" -shellcheck "$(command -v shellcheck)"
echo "✓ .github/workflows: actionlint $("$actionlint" -version | head -n 1) found nothing"
shellcheck deploy/k8s/deploy.sh scripts/checks/*.sh scripts/test-servers.sh
echo "✓ shell scripts: shellcheck found nothing"
"${PYTHON:-.venv/bin/python}" -m scripts.checks.scan_ignores
# A step that cannot fail hides what broke: no `|| true`, `|| :` or continue-on-error.
if grep -rnE '\|\|[[:space:]]*(true|:)([[:space:]]|$)|continue-on-error:[[:space:]]*true' .github; then
    echo "✗ .github: the lines above mask a failure; let the step fail instead" >&2
    exit 1
fi
echo "✓ .github: no step masks a failure"
