#!/bin/sh
# redis entrypoint: render redis.conf, hand the data directory to the redis user, run the command
# as that user.
#   REDIS_PORT       (default 6379)
#   REDIS_DATA_DIR   (default /var/db/redis, the volume)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-/var/db/redis}
export REDIS_PORT REDIS_DATA_DIR
render redis.conf.template "${MICROPOD_CONF_DIR:-/usr/local/etc}/redis.conf"
mkdir -p "$REDIS_DATA_DIR"
chown -R redis:redis "$REDIS_DATA_DIR"
exec_as redis "$@"
