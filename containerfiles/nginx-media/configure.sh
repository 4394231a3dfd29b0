#!/bin/sh
# micropod-configure (nginx-media): renders nginx.conf from the environment.
#   S3_IP_ADDRESS_1         the S3 host's address (IPv4, or IPv6 with or without brackets);
#                           blank: media is not served (404) but the container stays healthy
#   S3_READ_PORT_NUMBER     its port for reading objects (cached here)
#   S3_WRITE_PORT_NUMBER    its S3 API port (relayed uncached on port 8081); blank: no relay
#   S3_BUCKET               optional: bucket, for path-style reads (/<bucket>/<key>)
#   S3_HOSTNAME             optional: Host header the S3 host expects (default: its address)
#   MICROPOD_CONF_DIR       where nginx.conf goes (default /usr/local/etc/nginx)
#   NGINX_USER              worker user (default www)
#   NGINX_MEDIA_CACHE_DIR   the cache (default /var/cache/nginx-media, a volume)
#   NGINX_MEDIA_CACHE_SIZE  its cap (default 10g)
#   ACME_CHALLENGE_DIR      ACME HTTP-01 token files, served at /.well-known/acme-challenge/
#                           (default /usr/local/www/acme-challenge, a read-only mount)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

conf_dir=${MICROPOD_CONF_DIR:-/usr/local/etc/nginx}
NGINX_USER=${NGINX_USER:-www}
NGINX_MEDIA_CACHE_DIR=${NGINX_MEDIA_CACHE_DIR:-/var/cache/nginx-media}
NGINX_MEDIA_CACHE_SIZE=${NGINX_MEDIA_CACHE_SIZE:-10g}
ACME_CHALLENGE_DIR=${ACME_CHALLENGE_DIR:-/usr/local/www/acme-challenge}
case $ACME_CHALLENGE_DIR in /*) ;; *) die "ACME_CHALLENGE_DIR=$ACME_CHALLENGE_DIR is not an absolute path" ;; esac
ACME_CHALLENGE_DIR=${ACME_CHALLENGE_DIR%/}
export NGINX_USER NGINX_MEDIA_CACHE_DIR NGINX_MEDIA_CACHE_SIZE ACME_CHALLENGE_DIR
mkdir -p "$conf_dir"

s3=$(unbracket "${S3_IP_ADDRESS_1:-}")
if [ -z "$s3" ]; then
    note "S3_IP_ADDRESS_1 is blank: media is not served from S3 (S3_ENABLED=false?)"
    render nginx-media-off.conf.template "$conf_dir/nginx.conf"
    exit 0
fi

is_port() {
    case $1 in "" | *[!0-9]*) return 1 ;; esac
    [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}
if is_ipv6 "$s3"; then host="[$s3]"; elif is_ipv4 "$s3"; then host=$s3; else
    die "S3_IP_ADDRESS_1=$S3_IP_ADDRESS_1 is not an IP address"
fi
require_env S3_READ_PORT_NUMBER
is_port "$S3_READ_PORT_NUMBER" || die "S3_READ_PORT_NUMBER=$S3_READ_PORT_NUMBER is not a port number"

S3_READ_SERVER="$host:$S3_READ_PORT_NUMBER"
S3_UPSTREAM_HOST=${S3_HOSTNAME:-$host}
# Path-style reads: /<key> here is /<bucket>/<key> on the S3 host.
S3_PROXY_PASS="http://s3_read"
[ -z "${S3_BUCKET:-}" ] || S3_PROXY_PASS="http://s3_read/$S3_BUCKET/"

write_port=${S3_WRITE_PORT_NUMBER:-}
if [ -n "$write_port" ]; then
    is_port "$write_port" || die "S3_WRITE_PORT_NUMBER=$write_port is not a port number"
    S3_WRITE_SERVER=$(cat <<EOT
    upstream s3_write {
        server $host:$write_port;
        keepalive 8;
    }
    # The S3 API for the suite's containers (uploads from web and sidekiq), never cached.
    # Host passes through unchanged: it is part of the request's signature.
    server {
        listen 8081;
        listen [::]:8081;
        client_max_body_size 0;
        proxy_request_buffering off;
        location / {
            proxy_pass http://s3_write;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
        }
    }
EOT
)
else
    S3_WRITE_SERVER="    # S3_WRITE_PORT_NUMBER is blank: no S3 API relay."
fi
export S3_READ_SERVER S3_UPSTREAM_HOST S3_PROXY_PASS S3_WRITE_SERVER
render nginx-media.conf.template "$conf_dir/nginx.conf"
