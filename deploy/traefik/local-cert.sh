#!/bin/sh
# Makes the gateway's self-signed certificate for local use (localhost, 127.0.0.1) in the
# folder given, once: a certificate already there is kept, so browsers that accepted it keep
# accepting it. Run by the stack's gateway-cert container before the gateway starts.
set -eu
dir=${1:?the folder for the certificate}
if [ -s "$dir/local.crt" ] && [ -s "$dir/local.key" ]; then
  echo "gateway-cert: keeping the certificate made on $(date -r "$dir/local.crt" -u +%F)"
  exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
  -subj "/CN=localhost/O=ECCS local gateway" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=serverAuth" \
  -keyout "$dir/local.key.tmp" -out "$dir/local.crt.tmp" 2>/dev/null
# The gateway runs as nobody (65534): the key is its own to read, and nobody else's.
chown 65534:65534 "$dir/local.key.tmp" "$dir/local.crt.tmp"
chmod 600 "$dir/local.key.tmp"
chmod 644 "$dir/local.crt.tmp"
mv "$dir/local.key.tmp" "$dir/local.key"
mv "$dir/local.crt.tmp" "$dir/local.crt"
echo "gateway-cert: made a self-signed certificate for localhost and 127.0.0.1"
