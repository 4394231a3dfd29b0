import { type Command, command, inspect } from "../../core/command.js";

/** `zfs list` of one dataset: name and mountpoint, tab-separated; exits 1 when it does not exist. */
export const zfsList = (dataset: string): Command => inspect(["zfs", "list", "-H", "-o", "name,mountpoint", dataset]);

/** Create a dataset (and missing parents) mounted at `mountpoint`. */
export const zfsCreate = (dataset: string, mountpoint: string): Command => command(["zfs", "create", "-p", "-o", `mountpoint=${mountpoint}`, dataset]);
