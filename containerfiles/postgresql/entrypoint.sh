#!/bin/sh
# postgresql entrypoint: initialise the cluster once, render micropod.conf, run the server
# under pg_ctl and stop it with `pg_ctl stop -m fast` on SIGTERM/SIGINT (a clean checkpoint,
# not a crash recovery at the next start), rotating the log past 10 MB meanwhile.
#   DB_PASS      (secret) password of the superuser `postgres`, used once, by initdb
#   PGDATA       the cluster (the image sets /var/db/postgres/data<major>, on the volume)
#   PG_LOG_DIR   the server log (default /var/log/postgresql, inside the container)
#   PG_LISTEN, PG_PORT  listen_addresses and port (default '*' and 5432)
#   PG_HBA_NETWORKS_V4, PG_HBA_NETWORKS_V6  networks (CIDR, space-separated) whose clients may
#                connect with a password: the backend network's subnets (compose.yaml); at least one
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
    echo "include_if_exists = 'micropod.conf'" >>"$PGDATA/postgresql.conf"
fi

# pg_hba.conf: the client networks may connect, with a password; nothing else from the network.
# micropod's lines sit between two markers and are rewritten at every start, so a changed subnet
# takes effect on an existing cluster; every other line is the administrator's and kept. The
# lines earlier micropod versions wrote once at initdb (the single network's subnets) go.
# write_hba NETWORK...: pg_hba.conf with micropod's block for these networks.
write_hba() {
    [ $# -gt 0 ] || die "neither PG_HBA_NETWORKS_V4 nor PG_HBA_NETWORKS_V6 is set: the clients' networks (compose.yaml sets the backend network's subnets)"
    for _net in "$@"; do
        case $_net in
            */*) is_ipv4 "$_net" || is_ipv6 "$_net" || die "PG_HBA_NETWORKS: $_net is not a network in CIDR form" ;;
            *) die "PG_HBA_NETWORKS: $_net is not a network in CIDR form (address/length)" ;;
        esac
    done
    _hba="$PGDATA/pg_hba.conf"
    _tmp="$_hba.micropod.$$"
    {
        awk '
            /^# micropod: begin/ { skip = 1; next }
            /^# micropod: end/ { skip = 0; next }
            skip { next }
            /^# micropod: the suite network$/ { legacy = 1; next }
            legacy && $1 == "host" && $2 == "all" && $3 == "all" && ($4 == "10.89.0.0/24" || $4 == "fd00:10:89::/64") && $5 == "scram-sha-256" { next }
            { legacy = 0; print }
        ' "$_hba"
        echo "# micropod: begin (rewritten at every start from PG_HBA_NETWORKS_V4/V6)"
        for _net in "$@"; do
            printf 'host    all             all             %-23s scram-sha-256\n' "$_net"
        done
        echo "# micropod: end"
    } >"$_tmp"
    chown "$PG_USER" "$_tmp"
    chmod 0600 "$_tmp"
    mv -f "$_tmp" "$_hba"
}
# Each variable is a space-separated list: split on purpose.
# shellcheck disable=SC2086
write_hba ${PG_HBA_NETWORKS_V4:-} ${PG_HBA_NETWORKS_V6:-}

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
