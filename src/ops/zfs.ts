import { type Command, command, inspect } from "../core/command.js";

/** The dataset holding a path (zfs list accepts a path and names the file system it is on). */
export const datasetOf = (path: string): Command => inspect(["zfs", "list", "-H", "-o", "name", path]);

export const snapshot = (name: string): Command => command(["zfs", "snapshot", name]);

/** The dataset's own snapshots, oldest first. */
export const listSnapshots = (dataset: string): Command => inspect(["zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-s", "creation", "-d", "1", dataset]);

export const destroySnapshot = (name: string): Command => {
  // `zfs destroy` on a file system name would destroy the data itself: only ever a snapshot here.
  if (!/^[^@\s]+@[^@\s]+$/.test(name)) throw new Error(`refusing to destroy ${JSON.stringify(name)}: not a snapshot name`);
  return command(["zfs", "destroy", name]);
};
