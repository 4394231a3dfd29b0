#!/bin/sh
# micropod-configure (varnish): renders default.vcl from the environment.
#   VARNISH_BACKEND_HOST, VARNISH_BACKEND_PORT  nginx (default 10.89.1.40, 80): an IP address, nginx's
#                                               frontend address or, when placed on another host,
#                                               that host's private address
#   MICROPOD_CONF_DIR                           where default.vcl goes (default /usr/local/etc/varnish)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

conf_dir=${MICROPOD_CONF_DIR:-/usr/local/etc/varnish}
VARNISH_BACKEND_HOST=$(unbracket "${VARNISH_BACKEND_HOST:-10.89.1.40}")
VARNISH_BACKEND_PORT=${VARNISH_BACKEND_PORT:-80}
is_ipv4 "$VARNISH_BACKEND_HOST" || is_ipv6 "$VARNISH_BACKEND_HOST" ||
    die "VARNISH_BACKEND_HOST=$VARNISH_BACKEND_HOST is not an IP address"
case $VARNISH_BACKEND_PORT in "" | *[!0-9]*) die "VARNISH_BACKEND_PORT=$VARNISH_BACKEND_PORT is not a port number" ;; esac
export VARNISH_BACKEND_HOST VARNISH_BACKEND_PORT
mkdir -p "$conf_dir"
render default.vcl.template "$conf_dir/default.vcl"
