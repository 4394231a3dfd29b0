#!/bin/sh
# micropod-configure (nginx): renders nginx.conf from the environment.
#   DOMAIN                    the instance's domain (server_name)
#   PROXY_IP_V4, PROXY_IP_V6  optional: the operator's proxy in front of haproxy, trusted for
#                             X-Forwarded-For together with the suite's own haproxy and varnish
#   NGINX_WEB_HOST, NGINX_WEB_PORT              web (puma): default 10.89.1.30, 3000
#   NGINX_STREAMING_HOST, NGINX_STREAMING_PORT  streaming: default 10.89.1.31, 4000
#                             IP addresses: the frontend addresses compose.yaml gives them, or,
#                             when placed on another host, that host's private address
#   MICROPOD_CONF_DIR         where nginx.conf goes (default /usr/local/etc/nginx)
#   NGINX_USER                worker user (default www)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

require_env DOMAIN
conf_dir=${MICROPOD_CONF_DIR:-/usr/local/etc/nginx}
NGINX_USER=${NGINX_USER:-www}

# Real client address: X-Forwarded-For read from the right, through the suite's own hops
# (varnish .50, haproxy .60; haproxy drops any X-Forwarded-For not sent by the trusted proxy)
# and the operator's proxy. Nobody else can set the address nginx and Mastodon see.
trusted="10.89.1.50 fd00:10:89:1::50 10.89.1.60 fd00:10:89:1::60"
v4=${PROXY_IP_V4:-}
v6=$(unbracket "${PROXY_IP_V6:-}")
if [ -n "$v4" ]; then check_ip PROXY_IP_V4 "$v4" 4; trusted="$trusted $v4"; fi
if [ -n "$v6" ]; then check_ip PROXY_IP_V6 "$v6" 6; trusted="$trusted $v6"; fi
NGINX_REAL_IP=""
for addr in $trusted; do
    NGINX_REAL_IP="${NGINX_REAL_IP}    set_real_ip_from $addr;
"
done
NGINX_REAL_IP="${NGINX_REAL_IP}    real_ip_header X-Forwarded-For;
    real_ip_recursive on;"

NGINX_WEB_UPSTREAM=$(upstream NGINX_WEB_HOST NGINX_WEB_PORT 10.89.1.30 3000)
NGINX_STREAMING_UPSTREAM=$(upstream NGINX_STREAMING_HOST NGINX_STREAMING_PORT 10.89.1.31 4000)

export DOMAIN NGINX_USER NGINX_REAL_IP NGINX_WEB_UPSTREAM NGINX_STREAMING_UPSTREAM
mkdir -p "$conf_dir"
render nginx.conf.template "$conf_dir/nginx.conf"
