#!/bin/sh
# redis entrypoint: render redis.conf, hand the data directory to the redis user, run the command
# as that user.
#   REDIS_PASSWORD   (secret, required) every client must AUTH with it (requirepass)
#   REDIS_PORT       (default 6379)
#   REDIS_BIND       addresses to listen on (default `* -::*`: every IPv4 and IPv6 address)
#   REDIS_DATA_DIR   (default /var/db/redis, the volume)
#   REDIS_MODE       store (default): persisted (append-only file and snapshots), nothing evicted,
#                    for Sidekiq's queues and the feeds (the redis service);
#                    cache: nothing written to disk, least recently used keys evicted past
#                    REDIS_MAXMEMORY, for Mastodon's cache only (the redis-cache service)
#   REDIS_MAXMEMORY  cache mode's memory limit, as redis.conf writes it (default 256mb)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

require_env REDIS_PASSWORD
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_BIND=${REDIS_BIND:-* -::*}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-/var/db/redis}
REDIS_MODE=${REDIS_MODE:-store}
REDIS_MAXMEMORY=${REDIS_MAXMEMORY:-256mb}
case $REDIS_MODE in
    store | cache) ;;
    *) die "REDIS_MODE=$REDIS_MODE: expected store or cache" ;;
esac
conf=${MICROPOD_CONF_DIR:-/usr/local/etc}/redis.conf

# requirepass as one double-quoted argument: redis.conf is split like a command line (sdssplitargs
# in redis' src/config.c), where \\ and \" are the only escapes a password needs inside quotes.
# shellcheck disable=SC2089 # the quotes are for redis-server, not for this shell
REDIS_REQUIREPASS="\"$(printf '%s' "$REDIS_PASSWORD" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')\""
# shellcheck disable=SC2090
export REDIS_PORT REDIS_BIND REDIS_DATA_DIR REDIS_REQUIREPASS REDIS_MAXMEMORY
# The file holds the password: created unreadable to others, then readable by redis' group only.
# The settings every mode shares, then the mode's own.
(
    umask 077
    render redis.conf.template "$conf"
    render "redis-$REDIS_MODE.conf.template" "$conf.mode"
    cat "$conf.mode" >>"$conf"
    rm -f "$conf.mode"
)
chgrp redis "$conf"
chmod 0640 "$conf"
mkdir -p "$REDIS_DATA_DIR"
chown -R redis:redis "$REDIS_DATA_DIR"
exec_as redis "$@"
