import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.js";
import type { Command } from "../../core/command.js";
import { ExitCode, MicropodError } from "../../core/errors.js";
import { writeGeneratedSecrets } from "../../config/secrets.js";
import { backupStamp } from "../backup-layout.js";
import { planVars, startFrom } from "../engine.js";
import type { AdoptContext } from "./context.js";
import { type AdoptStep, type AdoptionJournal, fileHash, writeJournal } from "./journal.js";
import type { AdoptPlan } from "./plan.js";
import { revertAdoption } from "./revert.js";
import { copyData, keepSeed, moveNetworksAside, seedEntries, snapshot, stopSeed } from "./steps.js";

/** ZFS snapshot taken before an adoption moves anything: `<dataset>@micropod-adopt-<stamp>`. */
export const adoptSnapshotName = (dataset: string, ms: number) => `${dataset}@micropod-adopt-${backupStamp(ms)}`;

/** The journal an adoption starts with: everything it is about to do, nothing begun. */
export function journalOf(plan: AdoptPlan, nowMs: number): AdoptionJournal {
  return {
    version: 1,
    status: "adopting",
    startedAt: new Date(nowMs).toISOString(),
    seed: plan.seed,
    envFile: plan.envFile,
    composeFile: plan.composeFile,
    project: plan.suite.project,
    dataDir: plan.dataDir,
    containers: seedEntries(plan.suite, plan.containers, plan.restartOff),
    networks: plan.networks,
    data: plan.data.map((d) => ({ path: d.path, action: d.action, ...(d.from ? { from: d.from } : {}) })),
    snapshots: plan.datasets.map((d) => adoptSnapshotName(d, nowMs)),
    begun: [],
    created: [plan.envFile, ...(existsSync(plan.adopted.config.paths.secretsFile) ? [] : [plan.adopted.config.paths.secretsFile])].map((path) => ({ path })),
  };
}

/**
 * Adopt: stop the seed (reverse order), snapshot, move its networks and containers aside, put
 * its data where micropod's suite mounts it, write micropod's configuration, start micropod's
 * suite through the engine and wait until every service is ready. The journal is written before
 * each step; when a step fails, everything begun is reverted and the seed runs again.
 * The caller holds the lock.
 */
export async function applyAdoption(ctx: AdoptContext, plan: AdoptPlan): Promise<AdoptionJournal> {
  let j = journalOf(plan, ctx.clock.now());
  await writeJournal(j);
  let step: AdoptStep = "stop";
  const begin = async (s: AdoptStep, msg: string) => {
    step = s;
    j = { ...j, begun: [...j.begun, s] };
    await writeJournal(j);
    ctx.logger.info({ step: s }, msg);
  };
  const run = async (commands: readonly Command[]) => {
    for (const c of commands) await ctx.runner.run(c);
  };
  try {
    await begin("stop", `stopping the seed's containers: ${j.containers.filter((c) => c.running).map((c) => c.name).join(", ")}`);
    await run(stopSeed(j));
    await begin("snapshot", j.snapshots.length ? `ZFS snapshot ${j.snapshots.join(", ")}` : "no ZFS dataset: no snapshot");
    await run(snapshot(j));
    await begin("networks", "moving the seed's networks on micropod's subnets aside");
    await run(moveNetworksAside(j));
    await begin("keep", "keeping the seed's containers, stopped, as *-seed");
    await run(keepSeed(j));
    await begin("data", "putting the seed's data where micropod's suite mounts it");
    await placeData(ctx, j);
    await begin("config", `writing ${plan.envFile} and ${plan.adopted.config.paths.secretsFile}`);
    await writeFileAtomic(plan.envFile, plan.adopted.envText, { mode: 0o600, mkdirs: true });
    if (plan.adopted.persist.size) await writeGeneratedSecrets(plan.adopted.config.paths.secretsFile, plan.adopted.persist);
    j = { ...j, created: await Promise.all(j.created.map(async (f) => ({ path: f.path, ...(existsSync(f.path) ? { hash: await fileHash(f.path) } : {}) }))) };
    await writeJournal(j);
    await begin("start", `starting micropod's suite: ${plan.start.join(", ")}`);
    const engine = { ...ctx, config: plan.adopted.config, suite: plan.suite };
    await startFrom(engine, plan.suite, planVars(engine), plan.start);
    j = { ...j, status: "adopted" };
    await writeJournal(j);
    return j;
  } catch (err) {
    const failed = step as AdoptStep;
    const cause = err instanceof MicropodError ? [err.message, ...err.details] : [(err as Error).message];
    let notes: string[];
    try {
      notes = await revertAdoption(ctx, j);
    } catch (revertErr) {
      notes = [`Reverting failed too: ${(revertErr as Error).message}. The journal ${j.dataDir}/state/adopt.json says what was done; run micropod adopt --revert --data-dir ${j.dataDir} again once the cause is fixed.`];
    }
    throw new MicropodError(`adopt failed at step ${failed}`, err instanceof MicropodError ? err.exitCode : ExitCode.failure, [...notes, ...cause]);
  }
}

/** Move (rename), copy or create each of micropod's data directories. */
async function placeData(ctx: AdoptContext, j: AdoptionJournal): Promise<void> {
  for (const d of j.data) {
    if (d.action === "reuse") continue;
    if (d.action === "new") {
      await mkdir(d.path, { recursive: true, mode: 0o755 });
      continue;
    }
    await mkdir(dirname(d.path), { recursive: true, mode: 0o755 });
    // An empty directory in the way (the adoption checked it is empty) makes way for the seed's.
    if (existsSync(d.path) && (await readdir(d.path)).length === 0) await rmdir(d.path);
    if (d.action === "move") await rename(d.from!, d.path);
    else await ctx.runner.run(copyData(d.from!, d.path));
  }
}
