#!/usr/bin/env bash
# `make scan`: Trivy checks the two images and the lock files (uv.lock, the web app's
# package-lock.json, the Go tools' go.sum) for known vulnerabilities and fails on any HIGH or
# CRITICAL one that has a fix and is not accepted, with its reason, in .trivyignore.yaml.
# Trivy is built from the Go module proxy (scripts/checks/scan/go.mod). Its vulnerability
# database is downloaded on first use and cached under ~/.cache/eccs/trivy (it is refreshed by
# Trivy when older than a day).
#   make scan IMAGE_PREFIX=registry.example.com/eccs/ IMAGE_TAG=3f2a9c1
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tag=${IMAGE_TAG:?set IMAGE_TAG (and IMAGE_PREFIX) to the images to scan, as for make images}
prefix=${IMAGE_PREFIX:-}

built="$(scripts/checks/build-tool.sh trivy)"
sed '$d' <<<"$built"
trivy="$(tail -n 1 <<<"$built")"
export TRIVY_CACHE_DIR="${ECCS_CACHE_DIR:-$HOME/.cache/eccs}/trivy"
# Findings without a fixed version cannot be acted on by upgrading; they are listed, not fatal.
policy=(--severity "HIGH,CRITICAL" --ignore-unfixed --ignorefile .trivyignore.yaml --exit-code 1)

echo "==> lock files"
"$trivy" fs --scanners vuln "${policy[@]}" \
    --skip-dirs .venv --skip-dirs frontend/node_modules --skip-dirs frontend/dist .

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for image in eccs eccs-web; do
    echo "==> ${prefix}${image}:${tag}"
    podman save --format oci-archive -o "$work/$image.tar" "${prefix}${image}:${tag}"
    "$trivy" image --scanners vuln "${policy[@]}" --input "$work/$image.tar"
done
echo "✓ no high or critical vulnerability with a fix in the images or the lock files"
