import { type Command, command, inspect } from "../../core/command.js";

/** `zfs list` of one dataset: name and mountpoint, tab-separated; exits 1 when it does not exist. */
export const zfsList = (dataset: string): Command => inspect(["zfs", "list", "-H", "-o", "name,mountpoint", dataset]);

/** Create a dataset (and missing parents) mounted at `mountpoint`. */
export const zfsCreate = (dataset: string, mountpoint: string): Command => command(["zfs", "create", "-p", "-o", `mountpoint=${mountpoint}`, dataset]);

/** The dataset holding a path (zfs list accepts a path and names the file system it is on). */
export const zfsDatasetOf = (path: string): Command => inspect(["zfs", "list", "-H", "-o", "name", path]);

export const zfsSnapshot = (name: string): Command => command(["zfs", "snapshot", name]);

/** The dataset's own snapshots, oldest first. */
export const zfsListSnapshots = (dataset: string): Command =>
  inspect(["zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-s", "creation", "-d", "1", dataset]);

export const zfsDestroySnapshot = (name: string): Command => {
  // `zfs destroy` on a file system name would destroy the data itself: only ever a snapshot here.
  if (!/^[^@\s]+@[^@\s]+$/.test(name)) throw new Error(`refusing to destroy ${JSON.stringify(name)}: not a snapshot name`);
  return command(["zfs", "destroy", name]);
};
