#!/bin/sh
# Fake of the OpenSearch security plugin's tools/hash.sh (org.opensearch.security.tools.Hasher in
# opensearch-project/security): options as its commons-cli parser takes them (-p PASSWORD,
# -env NAME, -a ALGORITHM, -r ROUNDS, -min MINOR, -l LENGTH, -i ITERATIONS, -f FUNCTION), an
# unknown option or an unset/empty -env variable refused as Hasher refuses it ("Parsing failed.
# Reason: ...", exit 255). Without JAVA_HOME the real script first prints a WARNING line on
# standard output; so does this one. The "hash" is not bcrypt (no bcrypt here): `$2y$12$`
# followed by the SHA-256 of the password in hex, so a test can tell which password it hashed.
# Each call's arguments are appended to $FAKE_HASH_LOG.
set -u
[ -n "${FAKE_HASH_LOG:-}" ] && printf '%s\n' "$*" >>"$FAKE_HASH_LOG"
fail() {
    echo "Parsing failed.  Reason: $1" >&2
    exit 255
}
password=""
while [ $# -gt 0 ]; do
    case $1 in
        -p) [ $# -ge 2 ] || fail "Missing argument for option: p"; password=$2; shift 2 ;;
        -env)
            [ $# -ge 2 ] || fail "Missing argument for option: env"
            eval "password=\${$2:-}"
            [ -n "$password" ] || fail "No environment variable '$2' set"
            shift 2
            ;;
        -a | -r | -min | -l | -i | -f) [ $# -ge 2 ] || fail "Missing argument for option: ${1#-}"; shift 2 ;;
        *) fail "Unrecognized option: $1" ;;
    esac
done
[ -n "$password" ] || fail "Cannot allocate a console"
[ -n "${JAVA_HOME:-}${OPENSEARCH_JAVA_HOME:-}" ] || echo "WARNING: nor OPENSEARCH_JAVA_HOME nor JAVA_HOME is set, will use /usr/local/bin/java"
printf '%s%s\n' "\$2y\$12\$" "$(printf '%s' "$password" | sha256sum | cut -d ' ' -f 1)"
