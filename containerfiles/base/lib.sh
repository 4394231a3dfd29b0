# Helpers shared by micropod's entrypoints and configure scripts (sourced, POSIX sh).
# MICROPOD_LIBEXEC and MICROPOD_TEMPLATES default to where the images install them; tests
# point them at the source tree.
MICROPOD_LIBEXEC=${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}
MICROPOD_TEMPLATES=${MICROPOD_TEMPLATES:-/usr/local/share/micropod}

die() {
    echo "${0##*/}: $*" >&2
    exit 1
}

note() {
    echo "${0##*/}: $*" >&2
}

# require_env NAME...: each must be set and non-empty.
require_env() {
    for _name in "$@"; do
        eval "_value=\${$_name:-}"
        [ -n "$_value" ] || die "$_name is not set: set it in the .env file"
    done
}

# IP6_ADDRESS is written in brackets in .env ([2001:db8::10]); configs want it bare.
unbracket() {
    _v=${1#\[}
    printf '%s' "${_v%]}"
}

# is_ipv4 ADDR[/LEN], is_ipv6 ADDR[/LEN]: the form, not every numeric range.
is_ipv4() {
    case $1 in
        "" | *[!0-9./]* | *..* | .* | *.) return 1 ;;
    esac
    _addr=${1%%/*}
    _dots=$(printf '%s' "$_addr" | tr -cd . | wc -c)
    [ "$_dots" -eq 3 ]
}

is_ipv6() {
    case $1 in
        "" | *[!0-9a-fA-F:./]*) return 1 ;;
        *:*) return 0 ;;
    esac
    return 1
}

# check_ip NAME VALUE family: die with the variable's name when VALUE is not of that family.
check_ip() {
    case $3 in
        4) is_ipv4 "$2" || die "$1=$2 is not an IPv4 address" ;;
        6) is_ipv6 "$2" || die "$1=$2 is not an IPv6 address" ;;
    esac
}

# upstream HOST_VAR PORT_VAR DEFAULT_HOST DEFAULT_PORT: prints ADDRESS:PORT ([ADDRESS]:PORT for
# IPv6), the form nginx's `server` and haproxy's `server` lines take, from the two variables
# (each defaulting when unset or empty). A proxy's upstream is an IP address: the suite's own
# frontend address, or the private address of the host placement put the service on.
upstream() {
    _host=$3 _port=$4
    eval "_host=\${$1:-$3}"
    eval "_port=\${$2:-$4}"
    _host=$(unbracket "$_host")
    case $_port in "" | *[!0-9]*) die "$2=$_port is not a port number" ;; esac
    if is_ipv4 "$_host" && [ "${_host#*/}" = "$_host" ]; then
        printf '%s:%s' "$_host" "$_port"
    elif is_ipv6 "$_host" && [ "${_host#*/}" = "$_host" ]; then
        printf '[%s]:%s' "$_host" "$_port"
    else
        die "$1=$_host is not an IP address"
    fi
}

# render TEMPLATE_NAME OUTPUT: $MICROPOD_TEMPLATES/TEMPLATE_NAME with ${VAR}s from the environment.
render() {
    "$MICROPOD_LIBEXEC/render-template" "$MICROPOD_TEMPLATES/$1" "$2"
}

# run_as USER COMMAND ARGS...: run COMMAND as USER (its primary group, HOME), environment
# otherwise kept, with no su process in between: FreeBSD's `chroot -u -g /` and Linux's
# `setpriv` exec the command directly, so signals from podman (SIGTERM) reach it.
# exec_as: the same, replacing the calling shell.
as_user_prefix() {
    _group=$(id -gn "$1") || die "no user $1"
    case $(uname -s) in
        FreeBSD) set -- chroot -u "$1" -g "$_group" / ;;
        *) set -- setpriv --reuid="$1" --regid="$_group" --init-groups -- ;;
    esac
    shell_quote "$@"
}

exec_as() {
    _exec_wrapped_as "" "$@"
}

# exec_limited_as USER LIMITS COMMAND ARGS...: exec_as under limits(1) with the flags LIMITS
# (soft and hard alike, see limits(1)). limits runs first, as root, because only root may raise
# a hard limit; the user switch after it keeps the limits. The container's own limits, because
# ocijail ignores the OCI spec's process.rlimits (podman's --ulimit, compose's `ulimits`).
exec_limited_as() {
    _user=$1
    _limits=$2
    shift 2
    _exec_wrapped_as "limits $_limits" "$_user" "$@"
}

# _exec_wrapped_as WRAPPER USER COMMAND ARGS...: exec WRAPPER (words, may be empty), then the
# switch to USER with its HOME, then the command.
_exec_wrapped_as() {
    _wrapper=$1
    _prefix=$(as_user_prefix "$2") || exit 1
    HOME=$(awk -F: -v u="$2" '$1 == u { print $6 }' /etc/passwd)
    export HOME
    shift 2
    eval "exec $_wrapper $_prefix \"\$@\""
}

run_as() {
    (exec_as "$@")
}

# shell_quote WORD...: the words as one line sh reads back as the same words.
shell_quote() {
    for _word in "$@"; do
        printf "'%s' " "$(printf '%s' "$_word" | sed "s/'/'\\\\''/g")"
    done
}
