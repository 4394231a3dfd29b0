#!/bin/sh
# Install the Debian packages micropod's tests run for real: podman (engine, hooks; netavark
# needs iptables, which --no-install-recommends leaves out), procps (ps, for the rc.d tests), git
# (test/content/ci.test.ts lists the tracked files), Redis and Sidekiq (health), nginx, varnish and
# haproxy (config checks), Alertmanager, Prometheus (its promtool checks the health metrics and the
# sample rules), PostgreSQL (backup/restore), shellcheck, pebble (Let's Encrypt's test ACME server
# and its DNS, pebble-challtestsrv: certificates), redis-tools (redis-cli: the redis healthcheck),
# iproute2 and util-linux (ip netns and nsenter: the networks test runs podman in a network
# namespace of its own), mandoc (lints the manual page), bash and zsh (load the completion
# scripts), bmake and xz-utils (stage the FreeBSD port from its distfile), graphviz (dot checks
# `micropod graph --format dot`). Idempotent: packages
# already present are not fetched again.
set -eu

packages="podman runc netavark aardvark-dns iptables busybox-static procps git redis-server ruby-sidekiq shellcheck nginx varnish haproxy prometheus-alertmanager prometheus postgresql tar openssl pebble redis-tools iproute2 util-linux mandoc bash zsh bmake xz-utils graphviz"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && { echo "test dependencies: all installed"; exit 0; }

echo "test dependencies: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root (apt-get needs it)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
