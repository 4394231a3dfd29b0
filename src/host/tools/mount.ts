import { type Command, command, inspect } from "../../core/command.js";

/** Mounted file systems in fstab format: `fdesc /dev/fd fdescfs rw 0 0`. */
export const mountList = (): Command => inspect(["mount", "-p"]);
export const mountFdescfs = (): Command => command(["mount", "-t", "fdescfs", "fdesc", "/dev/fd"]);

export interface MountEntry {
  readonly device: string;
  readonly mountpoint: string;
  readonly fstype: string;
}

export function parseMounts(text: string): MountEntry[] {
  return text
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length >= 3)
    .map(([device, mountpoint, fstype]) => ({ device: device!, mountpoint: mountpoint!, fstype: fstype! }));
}
