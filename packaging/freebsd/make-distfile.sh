#!/bin/sh
# The port's distfile, micropod-<version>.tar.xz: the npm package (`npm pack`: package.json's
# `files`, dist/ compiled) with its production dependencies installed from package-lock.json
# (`npm ci --omit=dev`), under micropod-<version>/. A ports build has no network, so the
# dependencies travel in the distfile, as in www/npm's maintainer-made tarball; none of them
# is compiled code, so one distfile serves every architecture (NO_ARCH).
#
#   packaging/freebsd/make-distfile.sh OUTDIR                  from a clean copy of HEAD
#   packaging/freebsd/make-distfile.sh --from-worktree OUTDIR  this checkout and its dist/ as they are
#
# Then: sha256/size into the port's distinfo (make makesum), and publish the file at MASTER_SITES.
set -eu

from_worktree=no
if [ "${1:-}" = "--from-worktree" ]; then
	from_worktree=yes
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 [--from-worktree] OUTDIR" >&2
	exit 2
fi
outdir=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$(node -p "require('$repo/package.json').version")
name="micropod-$version"

work=$(mktemp -d "${TMPDIR:-/tmp}/micropod-distfile.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if [ "$from_worktree" = yes ]; then
	src="$repo"
	[ -f "$src/dist/cli.js" ] || { echo "$0: $src/dist is missing: run npm run build" >&2; exit 1; }
else
	# A clean tree: tsc never deletes an output whose source is gone, so a reused dist/ could
	# carry files the package no longer has.
	src="$work/src"
	mkdir "$src"
	git -C "$repo" archive --format=tar HEAD | tar -xf - -C "$src"
	(cd "$src" && npm ci --no-audit --no-fund && npm run build)
fi

(cd "$src" && npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null)
tar -xzf "$work/$name.tgz" -C "$work"
mv "$work/package" "$work/$name"
cp "$src/package-lock.json" "$work/$name/"
(cd "$work/$name" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# The lock file served npm ci; it is not part of the package.
rm "$work/$name/package-lock.json"
tar -cJf "$outdir/$name.tar.xz" -C "$work" "$name"
echo "$outdir/$name.tar.xz"
