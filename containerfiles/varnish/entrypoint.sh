#!/bin/sh
# varnish entrypoint: render the VCL from the environment, compile it once (a VCL error stops
# the start with the compiler's message), then run the command.
set -eu
/usr/local/libexec/micropod/micropod-configure
mkdir -p /var/db/varnish
# -C prints the generated C on success and the VCL error on failure, both on stderr.
if ! out=$(varnishd -C -f /usr/local/etc/varnish/default.vcl -n /var/db/varnish 2>&1); then
    printf '%s\n' "$out" >&2
    exit 1
fi
exec "$@"
