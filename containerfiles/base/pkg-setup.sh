#!/bin/sh
# Build step of the micropod base images: point pkg at the ports `latest` branch, bootstrap pkg
# and fetch the catalogue once, so images built on top only `pkg install`.
# FreeBSD 15 names the ports repository FreeBSD-ports; earlier releases named it FreeBSD.
set -eu

repo=FreeBSD
if grep -q '^FreeBSD-ports:' /etc/pkg/FreeBSD.conf 2>/dev/null; then
    repo=FreeBSD-ports
fi
mkdir -p /usr/local/etc/pkg/repos
# ${ABI} is pkg's own variable, expanded by pkg, not by this shell.
# shellcheck disable=SC2016
printf '%s: { url: "pkg+https://pkg.FreeBSD.org/${ABI}/latest" }\n' "$repo" >/usr/local/etc/pkg/repos/FreeBSD.conf

export ASSUME_ALWAYS_YES=yes
pkg bootstrap -f
pkg update -f
chmod 0755 /usr/local/libexec/micropod/render-template
