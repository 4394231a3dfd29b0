#!/bin/sh
# nginx entrypoint: render the configuration from the environment, check it, run the command.
set -eu
/usr/local/libexec/micropod/micropod-configure
nginx -t -q
exec "$@"
