#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016
# Make the local Debian base image, localhost/eccs-debian-base:bookworm, from Debian's own
# packages (mmdebstrap), for machines that reach no image registry. The images built on it stand
# in for the official ones (python, node, nginx, postgres, kafka, mongo, traefik) in tests.
#
# The host's extra CA certificates (/usr/local/share/ca-certificates/) go into the image: on the
# machines this runs on, PyPI and npm are reached through a TLS proxy whose certificates those
# are, and pip or npm inside a build would otherwise fail with CERTIFICATE_VERIFY_FAILED.
#
# Cached: the root file system is kept as a tar under ~/.cache/eccs keyed by the suite, this
# script and the certificates; the image is imported again only when its key label differs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
suite=bookworm
image=localhost/eccs-debian-base:$suite
certs=/usr/local/share/ca-certificates
bundle=/etc/ssl/certs/ca-certificates.crt

# What the image is made of: mmdebstrap's recipe and the import's settings. Documentation and
# translations are left out (copyright files kept), as in official images; man1 stays as an
# empty folder, where update-alternatives (Java's, say) puts its links. The hooks' "$1" is the
# new root file system, expanded by mmdebstrap, not here (hence SC2016 off for the file).
recipe=(--variant=minbase --include=ca-certificates
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --aptopt='APT::Install-Recommends "false"'
  --customize-hook="mkdir -p \"\$1$certs\"")
mapfile -t host_certs < <(find "$certs" -type f -name '*.crt' 2>/dev/null | sort)
[ ${#host_certs[@]} -eq 0 ] || recipe+=("--customize-hook=copy-in ${host_certs[*]} $certs")
recipe+=(--customize-hook='chroot "$1" update-ca-certificates'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
  --customize-hook='mkdir -p "$1"/usr/share/man/man1'
  --customize-hook="cp $here/apt-no-cache.conf \"\$1/etc/apt/apt.conf.d/docker-clean\""
  "$suite"
  "deb http://deb.debian.org/debian $suite main"
  "deb http://deb.debian.org/debian $suite-updates main"
  "deb http://deb.debian.org/debian-security $suite-security main")
changes=(--change 'CMD ["/bin/bash"]'
  --change "ENV SSL_CERT_FILE=$bundle" --change "ENV REQUESTS_CA_BUNDLE=$bundle"
  --change "ENV PIP_CERT=$bundle" --change "ENV NODE_EXTRA_CA_CERTS=$bundle")

# Where the checkout is is not part of it: with the path in the key, every other clone or worktree
# made the base again, and every stand-in built on it after that.
key="$( (printf '%s\n' "${recipe[@]}" "${changes[@]}" | sed "s|$here|scripts/containers|g"
  cat "$here/apt-no-cache.conf"
  [ ${#host_certs[@]} -eq 0 ] || cat "${host_certs[@]}") | sha256sum | cut -c1-16)"
dir="$ECCS_CACHE_DIR/debian-base-$suite"
tar="$dir/$key.tar"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

if [[ "$(podman image inspect --format '{{index .Labels "eccs.base.key"}}' "$image" 2>/dev/null)" == "$key" ]]; then
  echo "Base image $image: cached"
  exit 0
fi

if [[ ! -s $tar ]]; then
  echo "Base image: making a minimal Debian $suite with mmdebstrap (about half a minute)…"
  start=$SECONDS
  # The output file comes after the suite: mmdebstrap SUITE TARGET MIRROR...
  args=("${recipe[@]}")
  args=("${args[@]:0:${#args[@]}-3}" "$dir/partial.tar" "${args[@]: -3}")
  if ! mmdebstrap "${args[@]}" >"$dir/mmdebstrap.log" 2>&1; then
    tail -n 30 "$dir/mmdebstrap.log" >&2
    echo "Base image: mmdebstrap failed (log: $dir/mmdebstrap.log)" >&2
    exit 1
  fi
  mv "$dir/partial.tar" "$tar"
  find "$dir" -name '*.tar' ! -name "$key.tar" -delete
  echo "Base image: root file system made in $((SECONDS - start))s"
fi

podman import --quiet "${changes[@]}" --change "LABEL eccs.base.key=$key" "$tar" "$image" >/dev/null
echo "Base image $image: $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=si)B"
