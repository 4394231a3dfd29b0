#!/bin/sh
# opensearch entrypoint: mount fdescfs and procfs inside the jail (allowed by the jail profile
# `opensearch`), render opensearch.yml, run OpenSearch as its user with the resource limits it
# needs.
#   ELASTIC_PORT          (default 9200)
#   OPENSEARCH_DATA_DIR   (default /var/db/opensearch, the volume)
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

ELASTIC_PORT=${ELASTIC_PORT:-9200}
OPENSEARCH_DATA_DIR=${OPENSEARCH_DATA_DIR:-/var/db/opensearch}
export ELASTIC_PORT OPENSEARCH_DATA_DIR
render opensearch.yml.template /usr/local/etc/opensearch/opensearch.yml
mkdir -p "$OPENSEARCH_DATA_DIR" /var/log/opensearch
chown -R opensearch:opensearch "$OPENSEARCH_DATA_DIR" /var/log/opensearch
# ocijail does not apply the OCI spec's process.rlimits (dfr/ocijail has no rlimit code), so
# compose's `ulimits` for this service do nothing on FreeBSD: limits(1) sets them here instead.
# memorylocked unlimited: bootstrap.memory_lock locks the heap (with the jail's allow.mlock);
# openfiles 65536: OpenSearch's bootstrap check wants at least 65535.
exec_limited_as opensearch "-l unlimited -n 65536" "$@"
