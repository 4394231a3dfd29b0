#!/bin/sh
# opensearch entrypoint: mount fdescfs and procfs inside the jail (allowed by the jail profile
# `opensearch`), render opensearch.yml and the security plugin's files, run OpenSearch as its
# user with the resource limits it needs.
#   ELASTIC_USER, ELASTIC_PASSWORD (secret)  the one user of the security plugin (Mastodon's)
#   ELASTIC_PORT          (default 9200)
#   OPENSEARCH_DATA_DIR   (default /var/db/opensearch, the volume)
#   OPENSEARCH_CONF_DIR   (default /usr/local/etc/opensearch, where the package reads it)
#   OPENSEARCH_HOME       (default /usr/local/lib/opensearch: plugins/opensearch-security/tools)
#   OPENSEARCH_JAVA_OPTS  heap size etc., read by OpenSearch itself
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

# mount_once FSTYPE MOUNTPOINT: mount unless something is mounted there already.
mount_once() {
    if mount -p | awk -v m="$2" '$2 == m { found = 1 } END { exit !found }'; then
        return 0
    fi
    mkdir -p "$2"
    mount -t "$1" "$1" "$2" ||
        die "cannot mount $1 on $2: is the container annotated com.micropod.jail.profile=opensearch (allow.mount.$1)?"
}
mount_once fdescfs /dev/fd
mount_once procfs /proc

require_env ELASTIC_USER ELASTIC_PASSWORD
case $ELASTIC_USER in
    *[!A-Za-z0-9._-]*) die "ELASTIC_USER=$ELASTIC_USER: letters, digits, '.', '_' and '-' only" ;;
esac
ELASTIC_PORT=${ELASTIC_PORT:-9200}
OPENSEARCH_DATA_DIR=${OPENSEARCH_DATA_DIR:-/var/db/opensearch}
conf=${OPENSEARCH_CONF_DIR:-/usr/local/etc/opensearch}
home=${OPENSEARCH_HOME:-/usr/local/lib/opensearch}
export ELASTIC_PORT OPENSEARCH_DATA_DIR
render opensearch.yml.template "$conf/opensearch.yml"

# The security plugin (textproc/opensearch installs it with its default PLUGINS option) requires
# TLS between nodes: a CA and this node's certificate, made anew at every start (one node, so
# nothing else has to trust them), keys unencrypted PKCS#8 as the plugin reads them.
tls=$(mktemp -d /tmp/opensearch-tls.XXXXXX)
trap 'rm -rf "$tls"' EXIT
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:mastodon-opensearch,IP:127.0.0.1" >"$tls/node.ext"
(
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=micropod opensearch CA" \
        -keyout "$tls/root-ca-key.pem" -out "$conf/root-ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=mastodon-opensearch" -keyout "$conf/node-key.pem" -out "$tls/node.csr" 2>/dev/null
    openssl x509 -req -in "$tls/node.csr" -CA "$conf/root-ca.pem" -CAkey "$tls/root-ca-key.pem" -CAcreateserial \
        -CAserial "$tls/root-ca.srl" -days 3650 -extfile "$tls/node.ext" -out "$conf/node.pem" 2>/dev/null
) || die "cannot make the transport certificates with openssl"
rm -rf "$tls"
trap - EXIT

# Its configuration: micropod's own files, never the package's samples (their internal_users.yml
# holds demo users with published passwords). The plugin loads them into its index once, at the
# first start (allow_default_init_securityindex); the password is hashed by the plugin's own
# tool, which reads it from the environment (-env), never from its command line.
security="$conf/opensearch-security"
mkdir -p "$security"
for f in config.yml roles.yml roles_mapping.yml action_groups.yml tenants.yml; do
    cp "$MICROPOD_TEMPLATES/security/$f" "$security/$f"
done
ELASTIC_PASSWORD_HASH=$("$home/plugins/opensearch-security/tools/hash.sh" -env ELASTIC_PASSWORD | tail -n 1)
case $ELASTIC_PASSWORD_HASH in
    \$2?\$*) ;;
    *) die "hash.sh printed no bcrypt hash for ELASTIC_PASSWORD" ;;
esac
export ELASTIC_USER ELASTIC_PASSWORD_HASH
(umask 077 && render security/internal_users.yml.template "$security/internal_users.yml")
chown -R opensearch:opensearch "$security" "$conf/root-ca.pem" "$conf/node.pem" "$conf/node-key.pem"

mkdir -p "$OPENSEARCH_DATA_DIR" /var/log/opensearch
chown -R opensearch:opensearch "$OPENSEARCH_DATA_DIR" /var/log/opensearch
# ocijail does not apply the OCI spec's process.rlimits (dfr/ocijail has no rlimit code), so
# compose's `ulimits` for this service do nothing on FreeBSD: limits(1) sets them here instead.
# memorylocked unlimited: bootstrap.memory_lock locks the heap (with the jail's allow.mlock);
# openfiles 65536: OpenSearch's bootstrap check wants at least 65535.
exec_limited_as opensearch "-l unlimited -n 65536" "$@"
