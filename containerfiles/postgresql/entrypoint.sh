#!/bin/sh
# postgresql entrypoint: initialise the cluster once, render micropod.conf, run the server
# under pg_ctl and stop it with `pg_ctl stop -m fast` on SIGTERM/SIGINT (a clean checkpoint,
# not a crash recovery at the next start), rotating the log past 10 MB meanwhile.
#   DB_PASS      (secret) password of the superuser `postgres`, used once, by initdb
#   PGDATA       the cluster (the image sets /var/db/postgres/data<major>, on the volume)
#   PG_LOG_DIR   the server log (default /var/log/postgresql, inside the container)
#   PG_LISTEN, PG_PORT  listen_addresses and port (default '*' and 5432)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

PGDATA=${PGDATA:-/var/db/postgres/data}
PG_LOG_DIR=${PG_LOG_DIR:-/var/log/postgresql}
PG_LOG_CAP_BYTES=${PG_LOG_CAP_BYTES:-10485760}
PG_USER=${PG_USER:-postgres}
PG_LISTEN=${PG_LISTEN:-*}
PG_PORT=${PG_PORT:-5432}
export PGDATA PG_LOG_DIR PG_LISTEN PG_PORT

# as_postgres COMMAND ARGS...: run as the cluster owner, environment kept.
as_postgres() {
    run_as "$PG_USER" "$@"
}

mkdir -p "$PGDATA" "$PG_LOG_DIR"
chown "$PG_USER" "$PGDATA" "$PG_LOG_DIR"
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    require_env DB_PASS
    note "initialising a new cluster in $PGDATA"
    pwfile=$(mktemp /tmp/pwfile.XXXXXX)
    trap 'rm -f "$pwfile"' EXIT
    printf '%s\n' "$DB_PASS" >"$pwfile"
    chown "$PG_USER" "$pwfile"
    as_postgres initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    trap - EXIT
    # The suite network may connect, with a password; nothing else.
    cat >>"$PGDATA/pg_hba.conf" <<'EOT'
# micropod: the suite network
host    all             all             10.89.0.0/24            scram-sha-256
host    all             all             fd00:10:89::/64         scram-sha-256
EOT
    echo "include_if_exists = 'micropod.conf'" >>"$PGDATA/postgresql.conf"
fi

render micropod.conf.template "$PGDATA/micropod.conf"
chown "$PG_USER" "$PGDATA/micropod.conf"

stopping=no
stop() {
    stopping=yes
    note "stopping PostgreSQL (fast)"
    as_postgres pg_ctl stop -D "$PGDATA" -m fast -w -t 110 || true
}
trap stop TERM INT

as_postgres pg_ctl start -D "$PGDATA" -w -t 300 -l "$PG_LOG_DIR/startup.log"
pid=$(head -n 1 "$PGDATA/postmaster.pid")
note "PostgreSQL running (pid $pid)"

log="$PG_LOG_DIR/postgresql.log"
while [ "$stopping" = no ] && kill -0 "$pid" 2>/dev/null; do
    if [ -f "$log" ] && [ "$(wc -c <"$log")" -gt "$PG_LOG_CAP_BYTES" ]; then
        mv -f "$log" "$log.1"
        as_postgres pg_ctl logrotate -D "$PGDATA" >/dev/null || true
    fi
    # sleep in the background so the TERM trap runs at once, not after the sleep.
    sleep 5 &
    wait $! || true
done
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
note "PostgreSQL stopped"
