import { zfsCreate, zfsList } from "../tools/zfs.js";
import { type HostStep, type HostResource, runAction } from "../resource.js";
import { PrerequisiteError } from "../../core/errors.js";

export const zfsDatasets: HostResource = {
  name: "zfs-datasets",
  checks: (o) => `zfs list: pool ${o.pool}, ${o.containersDataset} at ${o.containersMountpoint}, ${o.dataDataset} at ${o.dataDir}`,
  async plan(ctx) {
    const o = ctx.options;
    const pool = await ctx.inspect.run(zfsList(o.pool), { allowFailure: true });
    if (pool.exitCode !== 0) {
      throw new PrerequisiteError(`ZFS pool ${o.pool} not found (${pool.stderr.trim() || "zfs list failed"})`, "micropod prepare-host --pool <your pool> (zpool list shows them)");
    }
    const wanted = [
      { dataset: o.containersDataset, mountpoint: o.containersMountpoint },
      { dataset: o.dataDataset, mountpoint: o.dataDir },
    ];
    const actions: HostStep[] = [];
    const notes: string[] = [];
    const present: string[] = [];
    const created: string[] = [];
    for (const w of wanted) {
      const r = await ctx.inspect.run(zfsList(w.dataset), { allowFailure: true });
      if (r.exitCode !== 0) {
        actions.push(runAction(ctx, zfsCreate(w.dataset, w.mountpoint)));
        created.push(`${w.dataset} at ${w.mountpoint}`);
        continue;
      }
      const mountpoint = r.stdout.trim().split("\t")[1];
      if (mountpoint === w.mountpoint) present.push(`${w.dataset} at ${w.mountpoint}`);
      // Moving a dataset the administrator mounted elsewhere could hide data: report, never change.
      else notes.push(`${w.dataset} exists with mountpoint ${mountpoint ?? "?"}, not ${w.mountpoint}: left as it is (zfs set mountpoint=${w.mountpoint} ${w.dataset} if that is what you want)`);
    }
    const message = created.length ? `create ${created.join(", ")}` : present.length ? present.join(", ") : "datasets left as they are";
    return { message, actions, notes };
  },
};
