import semver from "semver";

/**
 * Version comparisons, through `semver`. Two kinds of input need two readings:
 *
 * - A tool's own version, as it prints it, names a release: `pkg query %v` adds the port
 *   revision and epoch (`0.5.1_2,1`), `uname -r` a branch (`15.0-RELEASE-p2`), a podman built
 *   from git a `-dev` suffix (`5.3.0-dev`). `semver.coerce` takes the first x.y.z in it (missing
 *   parts are 0) and drops the rest, so these compare as the release they belong to.
 * - A release tag (Mastodon's `v4.4.0-rc.1`; older ones were written `v4.1.0rc3`) is a version of
 *   its own, and its pre-release orders before the release: read loosely (a `v`, no `-` allowed).
 */

/** The releases printed versions `a` and `b` name, compared (-1, 0, 1); undefined when either names none. */
function compareReleases(a: string, b: string): number | undefined {
  const x = semver.coerce(a);
  const y = semver.coerce(b);
  return x && y ? semver.compare(x, y) : undefined;
}

/** The printed version names release `min` or a later one; false when it names none. */
export const releaseAtLeast = (printed: string, min: string): boolean => (compareReleases(printed, min) ?? -1) >= 0;

/** The printed version names a release later than `version`'s; false when it names none. */
export const releaseAfter = (printed: string, version: string): boolean => (compareReleases(printed, version) ?? -1) > 0;

/** The printed version names a release before `version`'s; false when it names none. */
export const releaseBefore = (printed: string, version: string): boolean => (compareReleases(printed, version) ?? 1) < 0;

/** Release tag `a` is older than `b` (pre-releases before their release); false when either is not a version. */
export function tagOlder(a: string, b: string): boolean {
  const x = semver.parse(a, { loose: true });
  const y = semver.parse(b, { loose: true });
  return x !== null && y !== null && semver.lt(x, y);
}
