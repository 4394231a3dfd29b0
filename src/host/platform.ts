import { release, type } from "node:os";
import { inspect } from "../core/command.js";
import { PrerequisiteError } from "../core/errors.js";
import { releaseAtLeast } from "../core/version.js";
import type { Runner } from "../core/runner.js";

/** The facts that decide whether prepare-host may change this machine, and what doctor judges. */
export interface PlatformFacts {
  readonly isRoot: boolean;
  /** `uname -s`: FreeBSD, Linux, ... */
  readonly system: string;
  /** `uname -r`: 15.0-RELEASE, 14.3-RELEASE-p2, ... */
  readonly release: string;
}

export const isFreeBSD = (p: Pick<PlatformFacts, "system">): boolean => p.system === "FreeBSD";

/**
 * This machine's system and release, from uname(1) (POSIX: the same answer on every system),
 * through the runner so a test's fake host can be FreeBSD; node's own view when uname is missing.
 */
export async function detectPlatform(runner: Runner): Promise<PlatformFacts> {
  const isRoot = process.getuid?.() === 0;
  const ask = async (flag: "-s" | "-r") => {
    const r = await runner.run(inspect(["uname", flag]), { allowFailure: true });
    return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  };
  const [system, rel] = await Promise.all([ask("-s"), ask("-r")]);
  return { isRoot, system: system ?? type(), release: rel ?? release() };
}

export const MIN_FREEBSD_MAJOR = 15;

/** Throw unless this is a FreeBSD 15+ host and we are root; the message says which and why. */
export function requireChangeablePlatform(p: PlatformFacts): void {
  if (!isFreeBSD(p)) {
    throw new PrerequisiteError(
      `prepare-host changes a FreeBSD host, and this is ${p.system} ${p.release}: nothing was changed`,
      "run it on the FreeBSD 15 host, or use `micropod prepare-host --check` to see what it would do",
    );
  }
  if (!releaseAtLeast(p.release, `${MIN_FREEBSD_MAJOR}.0`)) {
    throw new PrerequisiteError(
      `prepare-host needs FreeBSD ${MIN_FREEBSD_MAJOR} or later (podman, ocijail and the base images it sets up target it), and this host runs ${p.release}`,
      "freebsd-update upgrade -r 15.0-RELEASE",
    );
  }
  if (!p.isRoot) {
    throw new PrerequisiteError("prepare-host must run as root: podman on FreeBSD runs as root only, and it edits /etc, ZFS and pf", "doas micropod prepare-host (or sudo)");
  }
}
