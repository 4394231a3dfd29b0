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
#   PG_HBA_PEERS addresses (space-separated) of other hosts whose clients may connect with a
#                password too: placement sets it to the hosts whose services reach this one; unset
#                on one host
#   REPLICATION_PASSWORD  (secret) password of the role `replicator` (REPLICATION LOGIN). On the
#                primary, when set: the role is created or its password set at every start, and
#                the same networks may connect for replication with it
#   PG_MODE      primary (default), or replica: a streaming hot standby of PG_PRIMARY_HOST. An
#                empty cluster is first copied from the primary with pg_basebackup; then it runs
#                read-only, following the primary's WAL
#   PG_PRIMARY_HOST, PG_PRIMARY_PORT (default 5432)  where the replica reaches the primary
#   PG_PRIMARY_WAIT  seconds the replica waits for the primary before its first copy (default 300)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

PGDATA=${PGDATA:-/var/db/postgres/data}
PG_LOG_DIR=${PG_LOG_DIR:-/var/log/postgresql}
PG_LOG_CAP_BYTES=${PG_LOG_CAP_BYTES:-10485760}
PG_USER=${PG_USER:-postgres}
PG_LISTEN=${PG_LISTEN:-*}
PG_PORT=${PG_PORT:-5432}
PG_MODE=${PG_MODE:-primary}
case $PG_MODE in
    primary | replica) ;;
    *) die "PG_MODE=$PG_MODE: expected primary or replica" ;;
esac
export PGDATA PG_LOG_DIR PG_LISTEN PG_PORT

# as_postgres COMMAND ARGS...: run as the cluster owner, environment kept.
as_postgres() {
    run_as "$PG_USER" "$@"
}

mkdir -p "$PGDATA" "$PG_LOG_DIR"
chown "$PG_USER" "$PGDATA" "$PG_LOG_DIR"
chmod 0700 "$PGDATA"

if [ "$PG_MODE" = replica ]; then
    require_env REPLICATION_PASSWORD PG_PRIMARY_HOST
    primary_host=$PG_PRIMARY_HOST
    primary_port=${PG_PRIMARY_PORT:-5432}
    # The replica's password for the primary, in a passfile (libpq's .pgpass format, where \ and :
    # are escaped) only the cluster owner reads, rewritten at every start; never in argv or a config.
    PGPASSFILE=${PG_PASSFILE:-${PGDATA%/*}/replication.pgpass}
    export PGPASSFILE
    pass=$(printf '%s' "$REPLICATION_PASSWORD" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')
    (umask 077 && printf '%s:%s:*:replicator:%s\n' "$primary_host" "$primary_port" "$pass" >"$PGPASSFILE")
    chown "$PG_USER" "$PGPASSFILE"
fi

if [ "$PG_MODE" = replica ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    # An empty data directory: copy the primary as it is now, WAL streamed alongside so the copy
    # is consistent (pg_basebackup -X stream), starting at once (-c fast), never prompting (-w).
    # The primary may answer before it has made the replication role: retried until the deadline
    # (a failed pg_basebackup empties the directory it was given).
    note "copying the primary $primary_host:$primary_port into $PGDATA"
    waited=0
    until as_postgres pg_basebackup -h "$primary_host" -p "$primary_port" -U replicator -w \
        -D "$PGDATA" -X stream -c fast; do
        [ "$waited" -lt "${PG_PRIMARY_WAIT:-300}" ] || die "no copy of the primary $primary_host:$primary_port within ${PG_PRIMARY_WAIT:-300} s"
        note "the primary cannot be copied yet; retrying in 5 s"
        sleep 5
        waited=$((waited + 5))
    done
elif [ ! -s "$PGDATA/PG_VERSION" ]; then
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

# pg_hba.conf: the client networks and the peer hosts (PG_HBA_PEERS) may connect, with a
# password; nothing else from the network. Replication too, with REPLICATION_PASSWORD: a replica
# on another host is one of the peers.
# micropod's lines sit between two markers and are rewritten at every start, so a changed subnet
# takes effect on an existing cluster; every other line is the administrator's and kept. The
# lines earlier micropod versions wrote once at initdb (the single network's subnets) go.
# write_hba NETWORK...: pg_hba.conf with micropod's block for these networks.
write_hba() {
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
        echo "# micropod: begin (rewritten at every start from PG_HBA_NETWORKS_V4/V6 and PG_HBA_PEERS)"
        for _net in "$@"; do
            printf 'host    all             all             %-23s scram-sha-256\n' "$_net"
        done
        if [ -n "${REPLICATION_PASSWORD:-}" ]; then
            for _net in "$@"; do
                printf 'host    replication     replicator      %-23s scram-sha-256\n' "$_net"
            done
        fi
        echo "# micropod: end"
    } >"$_tmp"
    chown "$PG_USER" "$_tmp"
    chmod 0600 "$_tmp"
    mv -f "$_tmp" "$_hba"
}
# peer_networks ADDRESS...: each peer host's address as the one-address network pg_hba takes.
peer_networks() {
    for _peer in "$@"; do
        _peer=$(unbracket "$_peer")
        case $_peer in */*) die "PG_HBA_PEERS: $_peer is not an address (a host's, without /length)" ;; esac
        if is_ipv4 "$_peer"; then
            printf '%s/32 ' "$_peer"
        elif is_ipv6 "$_peer"; then
            printf '%s/128 ' "$_peer"
        else
            die "PG_HBA_PEERS: $_peer is not an IP address"
        fi
    done
}
[ -n "${PG_HBA_NETWORKS_V4:-}${PG_HBA_NETWORKS_V6:-}" ] ||
    die "neither PG_HBA_NETWORKS_V4 nor PG_HBA_NETWORKS_V6 is set: the clients' networks (compose.yaml sets the backend network's subnets)"
# Each variable is a space-separated list: split on purpose.
# shellcheck disable=SC2086
peers=$(peer_networks ${PG_HBA_PEERS:-})
# shellcheck disable=SC2086
write_hba ${PG_HBA_NETWORKS_V4:-} ${PG_HBA_NETWORKS_V6:-} $peers

render micropod.conf.template "$PGDATA/micropod.conf"
if [ "$PG_MODE" = replica ]; then
    PG_PRIMARY_CONNINFO="host=$primary_host port=$primary_port user=replicator passfile=$PGPASSFILE application_name=micropod-replica"
    export PG_PRIMARY_CONNINFO
    render micropod-replica.conf.template "$PGDATA/micropod.conf.replica"
    cat "$PGDATA/micropod.conf.replica" >>"$PGDATA/micropod.conf"
    rm -f "$PGDATA/micropod.conf.replica"
    # A standby for as long as it runs in this mode (promoting it is left to the administrator).
    as_postgres touch "$PGDATA/standby.signal"
fi
chown "$PG_USER" "$PGDATA/micropod.conf"

# ensure_replication_role: the role the replica connects as, with REPLICATION_PASSWORD. The SQL
# goes on standard input (the password never in argv), over the local socket as the superuser,
# with statement logging off for this session so the password cannot reach the server log.
ensure_replication_role() {
    _quoted=$(printf '%s' "$REPLICATION_PASSWORD" | sed "s/'/''/g")
    printf '%s\n' \
        "SET log_min_duration_statement = -1;" \
        "SET log_statement = 'none';" \
        "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE replicator; END IF; END \$\$;" \
        "ALTER ROLE replicator WITH REPLICATION LOGIN PASSWORD '$_quoted';" |
        as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -U postgres -d postgres >/dev/null
}

stopping=no
stop() {
    stopping=yes
    note "stopping PostgreSQL (fast)"
    as_postgres pg_ctl stop -D "$PGDATA" -m fast -w -t 110 || true
}
trap stop TERM INT

as_postgres pg_ctl start -D "$PGDATA" -w -t 300 -l "$PG_LOG_DIR/startup.log"
# A TERM that came while pg_ctl started the server ran the trap once pg_ctl returned: the server
# is stopped again, and there is nothing left to set up (its postmaster.pid is gone).
if [ "$stopping" = yes ]; then
    note "PostgreSQL stopped"
    exit 0
fi
pid=$(head -n 1 "$PGDATA/postmaster.pid")
note "PostgreSQL running (pid $pid)"
if [ "$PG_MODE" = primary ] && [ -n "${REPLICATION_PASSWORD:-}" ]; then
    # A TERM during the role's psql stops the server right after it: that is no failure.
    ensure_replication_role || [ "$stopping" = yes ] || die "cannot set up the replication role"
    [ "$stopping" = yes ] || note "replication role replicator in place"
fi

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
