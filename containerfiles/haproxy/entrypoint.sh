#!/bin/sh
# haproxy entrypoint: render the configuration from the environment, check it, run the command.
set -eu
/usr/local/libexec/micropod/micropod-configure
haproxy -c -q -f /usr/local/etc/haproxy/haproxy.cfg
exec "$@"
