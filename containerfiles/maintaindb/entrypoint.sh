#!/bin/sh
# maintaindb: wait for PostgreSQL, ensure the Mastodon role and database, run the migrations.
#   DB_HOST, DB_PORT, DB_NAME, DB_USER   the database Mastodon uses
#   DB_PASS            (secret) the role's password, and the superuser's (the postgresql image
#                      sets the `postgres` password from the same secret when it initialises)
#   DB_ADMIN_USER      superuser to connect as (default postgres)
#   MAINTAINDB_WAIT    seconds to wait for PostgreSQL (default 180)
#   MAINTAINDB_MIGRATE yes (default): run `rails db:prepare` as the mastodon user afterwards
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

require_env DB_HOST DB_PORT DB_NAME DB_USER DB_PASS
wait_max=${MAINTAINDB_WAIT:-180}
PGHOST=$DB_HOST
PGPORT=$DB_PORT
PGCONNECT_TIMEOUT=5
export PGHOST PGPORT PGCONNECT_TIMEOUT

waited=0
until pg_isready -q; do
    [ "$waited" -lt "$wait_max" ] || die "PostgreSQL at $DB_HOST:$DB_PORT is not ready after ${wait_max}s"
    sleep 2
    waited=$((waited + 2))
done

# The password travels in the environment (PGPASSWORD), not in argv.
PGPASSWORD=$DB_PASS psql -X -q -U "${DB_ADMIN_USER:-postgres}" -d postgres \
    -f "$MICROPOD_TEMPLATES/ensure-database.sql" ||
    die "could not ensure role $DB_USER and database $DB_NAME on $DB_HOST:$DB_PORT"
note "role $DB_USER and database $DB_NAME are in place"

[ "${MAINTAINDB_MIGRATE:-yes}" = yes ] || exit 0
cd /usr/local/www/mastodon
note "running rails db:prepare"
exec_as mastodon bundle exec rails db:prepare
