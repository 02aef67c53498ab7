#!/bin/sh
# Fill in the server block's variables (only those: nginx's own $variables stay), then run nginx
# in the foreground.
set -eu
mkdir -p /tmp/nginx
# shellcheck disable=SC2016 # the variables' names, for envsubst to fill in
envsubst '${ECCS_WEB_PORT} ${ECCS_WEB_ROOT} ${ECCS_WEB_CONF} ${ECCS_GATEWAY_URL}' \
  </etc/eccs/nginx/site.conf.template >/tmp/nginx/site.conf
exec nginx -c /etc/eccs/nginx/nginx.conf -g 'daemon off;'
