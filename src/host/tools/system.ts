import { type Command, inspect } from "../../core/command.js";

export const freebsdVersion = (): Command => inspect(["freebsd-version"]);
export const unameRelease = (): Command => inspect(["uname", "-r"]);
/** hw.ncpu and hw.physmem (bytes), one per line. */
export const hardware = (): Command => inspect(["sysctl", "-n", "hw.ncpu", "hw.physmem"]);
/** POSIX df in 1024-byte blocks: size, used and available of the file system holding `path`. */
export const diskFree = (path: string): Command => inspect(["df", "-P", "-k", path]);

/** `15.0-RELEASE-p2` → `15.0`. */
export function releaseOf(version: string): string | undefined {
  return /^(\d+\.\d+)/.exec(version.trim())?.[1];
}
