import { describe, expect, it } from "vitest";
import { releaseAfter, releaseAtLeast, releaseBefore, tagOlder } from "../../../src/core/version.js";
import { jailMechanism } from "../../../src/host/ocijail.js";

describe("release comparisons of what tools print", () => {
  it.each([
    // pkg query %v ocijail: port revision and epoch belong to the same release
    ["0.5.1_2,1", "0.5.1", 0],
    ["0.4.0_2", "0.5.0", -1],
    ["0.1", "0.5.0", -1],
    ["0.10.0", "0.9.0", 1],
    // podman version: a build from git carries -dev, a release candidate -rc1
    ["5.3.0-dev", "5.3.0", 0],
    ["5.3.0-rc1", "5.3.0", 0],
    ["4.3.1", "5.3.0", -1],
    ["5.10.0", "5.3.0", 1],
    // FREEBSD_RELEASE, freebsd-version, uname -r
    ["15.1", "15.0", 1],
    ["15.0-RELEASE-p2", "15.0", 0],
    ["14.3-RELEASE", "15.0", -1],
    ["16.0-CURRENT", "15.0", 1],
  ])("%s against %s: %i", (printed, other, sign) => {
    expect([releaseBefore(printed, other), releaseAtLeast(printed, other) && !releaseAfter(printed, other), releaseAfter(printed, other)]).toEqual([sign < 0, sign === 0, sign > 0]);
  });

  it("a version naming no release is neither before, at nor after anything", () => {
    for (const printed of ["", "unknown", "podman version dev"]) {
      expect([releaseBefore(printed, "5.3.0"), releaseAtLeast(printed, "5.3.0"), releaseAfter(printed, "5.3.0")]).toEqual([false, false, false]);
    }
  });
});

describe("Mastodon release tags", () => {
  it.each([
    ["v4.3.2", "v4.4.0", true],
    ["v4.4.0", "v4.4.0", false],
    ["v4.10.0", "v4.9.9", false],
    // a release candidate comes before its release, beta before rc, beta.9 before beta.10
    ["v4.4.0-rc.1", "v4.4.0", true],
    ["v4.4.0", "v4.4.0-rc.1", false],
    ["v4.4.0-beta.2", "v4.4.0-rc.1", true],
    ["v4.4.0-beta.9", "v4.4.0-beta.10", true],
    // tags before 4.2 had no hyphen
    ["v4.1.0rc3", "v4.1.0", true],
    // not a version: no order, so no refusal
    ["main", "v4.4.0", false],
    ["v4.4.0", "", false],
  ])("%s older than %s: %s", (a, b, older) => {
    expect(tagOlder(a, b)).toBe(older);
  });
});

describe("ocijail's mechanism from its package version", () => {
  it.each([
    ["0.4.0_2", false, false],
    ["0.5.0", true, false],
    ["0.5.1_2,1", true, false],
    ["0.6.0", true, true],
    ["0.10.0_1", true, true],
    ["garbage", false, false],
  ])("%s: allow.* %s, sysv* %s", (version, allow, sysv) => {
    expect(jailMechanism(version)).toMatchObject({ version, allowAnnotations: allow, sysvAnnotations: sysv });
  });
});
