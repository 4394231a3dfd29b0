import { hostPath } from "../options.js";
import { readIfExists, writeAction } from "../files.js";
import { type HostStep, type HostResource, ok, runAction } from "../resource.js";
import { mountFdescfs, mountList, parseMounts } from "../tools/mount.js";

export const FSTAB = "/etc/fstab";
export const FDESC_FSTAB_LINE = "fdesc\t/dev/fd\tfdescfs\trw\t0\t0\t# micropod: podman and ocijail need /dev/fd";

/** fdescfs on /dev/fd, now and at boot. */
export const fdescfs: HostResource = {
  name: "fdescfs",
  checks: () => `mount -p: fdescfs on /dev/fd now; ${FSTAB} mounts it at boot`,
  async plan(ctx) {
    const actions: HostStep[] = [];
    const notes: string[] = [];
    const todo: string[] = [];
    const mounted = parseMounts((await ctx.inspect.run(mountList())).stdout);
    if (!mounted.some((m) => m.mountpoint === "/dev/fd" && m.fstype === "fdescfs")) {
      actions.push(runAction(ctx, mountFdescfs()));
      todo.push("mount fdescfs on /dev/fd");
    }
    const current = await readIfExists(hostPath(ctx.options, FSTAB));
    const entries = parseMounts(current ?? "");
    const atDevFd = entries.find((e) => e.mountpoint === "/dev/fd");
    if (!atDevFd) {
      const base = current === undefined || current === "" || current.endsWith("\n") ? (current ?? "") : `${current}\n`;
      actions.push(writeAction(ctx, FSTAB, current, `${base}${FDESC_FSTAB_LINE}\n`));
      todo.push(`add fdescfs to ${FSTAB}`);
    } else if (atDevFd.fstype !== "fdescfs") {
      notes.push(`${FSTAB} mounts ${atDevFd.fstype} on /dev/fd, not fdescfs: left as it is`);
    }
    if (actions.length === 0) return ok(`fdescfs on /dev/fd, and in ${FSTAB}`, notes);
    return { message: todo.join(", "), actions, notes };
  },
};
