import { readFileSync } from "node:fs";
import { configPaths, registerSecrets } from "../config/load.js";
import { parseEnvText } from "../config/env-file.js";
import { ExitCode, MicropodError, UsageError } from "../core/errors.js";
import { withLock } from "../core/lock.js";
import { emptyObservedState, observeFiles } from "../engine/observe.js";
import { planStart } from "../engine/plan.js";
import { renderPlan } from "../engine/render.js";
import type { HostVariable } from "../suite/host-pins.js";
import { applyAdoption, journalOf } from "./adopt/apply.js";
import type { AdoptContext } from "./adopt/context.js";
import { readJournal } from "./adopt/journal.js";
import { planAdoption } from "./adopt/plan.js";
import { renderAdoptPlan, renderRevertPlan } from "./adopt/render.js";
import { revertAdoption } from "./adopt/revert.js";
import { type SeedLocationOptions, defaultAdoptedDataDir, seedLocation } from "./adopt/seed.js";

export interface AdoptOptions extends SeedLocationOptions {
  /** micropod's .env to write (adopt) or read (revert). */
  readonly envFile: string;
  readonly composeFile: string;
  /** micropod's DATA_DIR: default <seed dir>/data, beside the seed's data on the same dataset. */
  readonly dataDir?: string;
  readonly copy?: boolean;
  readonly check?: boolean;
  readonly revert?: boolean;
  /** The configuration's host variables and their services (commands/suite-loading.ts). */
  readonly hostVariables: readonly HostVariable[];
}

/**
 * `micropod adopt`: take over a host running the seed suite, on its data, with its secrets.
 * `--check` plans and prints, changing nothing; `--revert` puts the seed back.
 */
export async function adopt(ctx: AdoptContext, o: AdoptOptions): Promise<void> {
  const seed = seedLocation(o);
  if (o.revert) return revert(ctx, o, seed);
  const dataDir = o.dataDir ?? defaultAdoptedDataDir(seed);
  const plan = await planAdoption(ctx.runner, { seed, envFile: o.envFile, composeFile: o.composeFile, dataDir, copy: o.copy === true, hostVariables: o.hostVariables });
  registerSecrets(plan.adopted.config, ctx.redactor);
  if (o.check) {
    const fresh = planStart(plan.suite, { vars: plan.adopted.config.vars, secretNames: plan.adopted.config.secretNames }, { ...emptyObservedState(), ...(await observeFiles(plan.suite)) });
    ctx.out(renderAdoptPlan(plan, journalOf(plan, ctx.clock.now()), renderPlan(fresh, ctx.redactor), ctx.redactor).join("\n"));
    throw new MicropodError(`adopting ${seed.dir} is pending`, ExitCode.changesPending);
  }
  const lock = plan.adopted.config.paths.lock;
  const j = await withLock(lock, { verb: "adopt", clock: ctx.clock, ...(ctx.signal ? { signal: ctx.signal } : {}) }, () => applyAdoption(ctx, plan));
  const kept = j.containers.map((c) => c.kept).join(", ");
  ctx.out(`adopted ${seed.dir}: micropod runs ${plan.start.length} services on ${dataDir} with the seed's secrets (${plan.envFile}); the seed's containers are kept stopped as ${kept}; micropod adopt --revert brings them back`);
}

async function revert(ctx: AdoptContext, o: AdoptOptions, seed: ReturnType<typeof seedLocation>): Promise<void> {
  const dataDir = o.dataDir ?? dataDirOf(o.envFile) ?? defaultAdoptedDataDir(seed);
  const j = await readJournal(dataDir);
  if (!j) throw new UsageError(`no adoption to revert: ${dataDir}/state/adopt.json does not exist`, ["pass --data-dir DIR (the adopted DATA_DIR) or --env FILE (micropod's .env that names it)"]);
  if (j.status === "reverted") {
    ctx.out(`the adoption of ${j.seed.dir} is already reverted: nothing to do`);
    return;
  }
  if (o.check) {
    ctx.out(renderRevertPlan(j).join("\n"));
    throw new MicropodError(`reverting the adoption of ${j.seed.dir} is pending`, ExitCode.changesPending);
  }
  // The lock lives under DATA_DIR/state whatever LOG_DIR is (config/load.ts configPaths).
  const lock = configPaths(dataDir, "/").lock;
  const notes = await withLock(lock, { verb: "adopt --revert", clock: ctx.clock, ...(ctx.signal ? { signal: ctx.signal } : {}) }, () => revertAdoption(ctx, j));
  ctx.out([`reverted the adoption of ${j.seed.dir}`, ...notes.map((n) => `  ${n}`)].join("\n"));
}

/** DATA_DIR as micropod's .env sets it, when the file exists and sets it. */
function dataDirOf(envFile: string): string | undefined {
  try {
    return parseEnvText(readFileSync(envFile, "utf8"), envFile).entries.find((e) => e.key === "DATA_DIR")?.value || undefined;
  } catch {
    return undefined;
  }
}
