#!/bin/sh
# micropod-configure (haproxy): renders haproxy.cfg from the environment.
#   DOMAIN                    the instance's domain (Host header of the backend health checks)
#   IP4_ADDRESS, IP6_ADDRESS  the public addresses the host publishes; at least one. Each one
#                             set opens that family's listeners in the container.
#   PROXY_IP_V4, PROXY_IP_V6  optional: the only sources whose X-Forwarded-For is kept
#   S3_ALIAS_HOST             optional: the media host name, routed to nginx-media
#   HAPROXY_CERT_DIR          TLS certificates, PEM with key (default /usr/local/etc/haproxy/certs);
#                             with none there, only port 80 is served
#   HAPROXY_VARNISH_HOST, HAPROXY_VARNISH_PORT  varnish: default 10.89.1.50, 80
#   HAPROXY_MEDIA_HOST, HAPROXY_MEDIA_PORT      nginx-media: default 10.89.1.41, 80
#                             IP addresses: the frontend addresses compose.yaml gives them, or,
#                             when placed on another host, that host's private address
#   HAPROXY_USER, HAPROXY_GROUP  (default www, www)
#   MICROPOD_CONF_DIR         where haproxy.cfg goes (default /usr/local/etc/haproxy)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

require_env DOMAIN
conf_dir=${MICROPOD_CONF_DIR:-/usr/local/etc/haproxy}
cert_dir=${HAPROXY_CERT_DIR:-/usr/local/etc/haproxy/certs}
HAPROXY_USER=${HAPROXY_USER:-www}
HAPROXY_GROUP=${HAPROXY_GROUP:-www}

ip4=${IP4_ADDRESS:-}
ip6=$(unbracket "${IP6_ADDRESS:-}")
[ -n "$ip4$ip6" ] || die "neither IP4_ADDRESS nor IP6_ADDRESS is set: set at least one in the .env file"
[ -z "$ip4" ] || check_ip IP4_ADDRESS "$ip4" 4
[ -z "$ip6" ] || check_ip IP6_ADDRESS "$ip6" 6
HAPROXY_VARNISH_UPSTREAM=$(upstream HAPROXY_VARNISH_HOST HAPROXY_VARNISH_PORT 10.89.1.50 80)
HAPROXY_MEDIA_UPSTREAM=$(upstream HAPROXY_MEDIA_HOST HAPROXY_MEDIA_PORT 10.89.1.41 80)

tls=no
for pem in "$cert_dir"/*.pem; do
    [ -f "$pem" ] && tls=yes
    break
done
[ "$tls" = yes ] || note "no certificate in $cert_dir: serving HTTP on port 80 only"

nl='
'
binds=""
add_bind() { binds="${binds}    bind $1${nl}"; }
if [ -n "$ip4" ]; then
    add_bind "0.0.0.0:80"
    [ "$tls" = no ] || add_bind "0.0.0.0:443 ssl crt $cert_dir alpn h2,http/1.1"
fi
if [ -n "$ip6" ]; then
    add_bind "[::]:80 v6only"
    [ "$tls" = no ] || add_bind "[::]:443 v6only ssl crt $cert_dir alpn h2,http/1.1"
fi
HAPROXY_BINDS=${binds%"$nl"}

# X-Forwarded-For is believed only from the operator's proxy; from anyone else it is dropped
# before haproxy adds the real peer address, so nginx's recursive real-IP walk ends at the client.
trusted=""
v4=${PROXY_IP_V4:-}
v6=$(unbracket "${PROXY_IP_V6:-}")
if [ -n "$v4" ]; then check_ip PROXY_IP_V4 "$v4" 4; trusted="$trusted $v4"; fi
if [ -n "$v6" ]; then check_ip PROXY_IP_V6 "$v6" 6; trusted="$trusted $v6"; fi
if [ -n "$trusted" ]; then
    HAPROXY_FORWARDED="    acl from_trusted_proxy src$trusted
    http-request del-header X-Forwarded-For unless from_trusted_proxy"
else
    HAPROXY_FORWARDED="    http-request del-header X-Forwarded-For"
fi

if [ "$tls" = yes ]; then
    HAPROXY_TLS="    http-request redirect scheme https code 301 unless { ssl_fc } || { path_beg /.well-known/acme-challenge/ }
    http-response set-header Strict-Transport-Security \"max-age=31536000\" if { ssl_fc }"
else
    HAPROXY_TLS="    # No certificate: HTTP only."
fi

alias=${S3_ALIAS_HOST:-}
if [ -n "$alias" ]; then
    case $alias in *[!A-Za-z0-9.-]*) die "S3_ALIAS_HOST=$alias is not a host name" ;; esac
    HAPROXY_MEDIA_ROUTE="    use_backend nginx_media if { req.hdr(host),field(1,:) -i $alias }"
else
    HAPROXY_MEDIA_ROUTE="    # S3_ALIAS_HOST is blank: no media host."
fi

export DOMAIN HAPROXY_USER HAPROXY_GROUP HAPROXY_BINDS HAPROXY_FORWARDED HAPROXY_TLS HAPROXY_MEDIA_ROUTE \
    HAPROXY_VARNISH_UPSTREAM HAPROXY_MEDIA_UPSTREAM
mkdir -p "$conf_dir"
render haproxy.cfg.template "$conf_dir/haproxy.cfg"
