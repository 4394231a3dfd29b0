#!/bin/sh
# micropod-jail: OCI hook (stage createRuntime) that widens the jail ocijail created for a
# container, according to the container's annotation com.micropod.jail.profile:
#
#   postgresql  jail -m jid=N sysvmsg=new sysvsem=new sysvshm=new
#               (a private System V IPC namespace, not allow.sysvipc which shares the host's)
#   opensearch  jail -m jid=N allow.mount allow.mount.fdescfs allow.mount.procfs
#               enforce_statfs=1 allow.mlock
#
# It is the fallback for ocijail releases that drop the org.freebsd.jail.* annotations.
# Input: the OCI state JSON on stdin (id, annotations). The jail id comes from ocijail's state
# file <state dir>/<container id>/state.json; the state dir is /var/run/ocijail, or
# MICROPOD_OCIJAIL_STATE_DIR when set (tests). A known profile that cannot be applied exits 1
# with the reason on stderr and in syslog. ocijail ignores a hook's exit status (dfr/ocijail
# ocijail/hook.cpp), so that alone does not stop the container: micropod checks the jail's
# parameters once the container started (src/engine/jail-profile.ts) and stops it without them.
# An unknown profile is logged and ignored. JSON is read with sed: FreeBSD's base has no jq.
set -u

# OCI runtimes run hooks with only the environment the hook JSON gives them.
PATH=${PATH:-/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin}
export PATH
state_dir=${MICROPOD_OCIJAIL_STATE_DIR:-/var/run/ocijail}
tag=micropod-jail

log() {
    logger -t "$tag" "$1" 2>/dev/null || true
}

fail() {
    log "error: $1"
    echo "$tag: $1" >&2
    exit 1
}

# JSON without jq: one line per member (split at , { and }), then the first member whose key
# matches. A split inside a quoted value leaves a line that starts with a backslash or a
# fragment, never with a quoted key, so text inside values cannot pass for a member.
members() {
    tr ',{}\r' '[\n*]'
}
# $1: key as a basic regular expression (dots escaped)
string_member() {
    members | sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"\\\\]*\)\"[[:space:]]*\$/\1/p" | head -n 1
}
number_member() {
    members | sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*\$/\1/p" | head -n 1
}

state=$(cat) || fail "cannot read the OCI state from stdin"
id=$(printf '%s\n' "$state" | string_member 'id')
profile=$(printf '%s\n' "$state" | string_member 'com\.micropod\.jail\.profile')

case $profile in
    postgresql) params="sysvmsg=new sysvsem=new sysvshm=new" ;;
    opensearch) params="allow.mount allow.mount.fdescfs allow.mount.procfs enforce_statfs=1 allow.mlock" ;;
    "")
        log "container ${id:-?}: no com.micropod.jail.profile annotation, nothing to do"
        exit 0
        ;;
    *)
        log "container ${id:-?}: unknown jail profile '$profile', ignored"
        exit 0
        ;;
esac

case $id in
    "" | */* | .*) fail "profile $profile: no usable container id in the OCI state on stdin" ;;
esac

state_file=$state_dir/$id/state.json
[ -r "$state_file" ] || fail "profile $profile: ocijail state file $state_file not found; is the runtime ocijail?"
# ocijail records the jail id as a number; a quoted "jid" (say an annotation) does not match.
jid=$(number_member 'jid' <"$state_file")
[ -n "$jid" ] || fail "profile $profile: no jail id (jid) in $state_file"

# shellcheck disable=SC2086  # params is a list of jail parameters, split on purpose
if out=$(jail -m "jid=$jid" $params 2>&1); then
    log "container $id: jail $jid: applied profile $profile ($params)"
    exit 0
fi
fail "profile $profile: jail -m jid=$jid $params failed: $out"
