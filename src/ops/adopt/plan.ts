import { existsSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { ConfigError, type Problem } from "../../core/errors.js";
import type { Runner } from "../../core/runner.js";
import { zfsDatasetOf } from "../../host/tools/zfs.js";
import { emptyObservedState, observeFiles } from "../../engine/observe.js";
import { planStart } from "../../engine/plan.js";
import { releaseBefore } from "../../core/version.js";
import { listContainers } from "../../podman/container.js";
import { podmanVersion } from "../../podman/image.js";
import { readContainerList } from "../../podman/readers.js";
import { pinHostNames, type HostVariable } from "../../suite/host-pins.js";
import { loadSuite } from "../../suite/load.js";
import type { Suite } from "../../suite/model.js";
import { dependencyGraph } from "../../suite/graph.js";
import { databaseService } from "../services.js";
import { type DataStep, checkData, planData } from "./data.js";
import { readJournal } from "./journal.js";
import { type NetworkMove, collidingNetworks } from "./networks.js";
import { type AdoptedConfig, adoptedConfig } from "./seed-config.js";
import { type SeedContainer, findSeedContainers, isMicropods } from "./seed-containers.js";
import { type SeedSecrets, readSeedSecrets } from "./seed-secrets.js";
import { type SeedLocation, keptName } from "./seed.js";

export interface AdoptInputs {
  readonly seed: SeedLocation;
  /** micropod's .env to write. */
  readonly envFile: string;
  readonly composeFile: string;
  readonly dataDir: string;
  readonly copy: boolean;
  readonly hostVariables: readonly HostVariable[];
}

/** Everything `adopt` would do, found with read-only commands and file reads. */
export interface AdoptPlan extends AdoptInputs {
  readonly stored: SeedSecrets;
  readonly adopted: AdoptedConfig;
  readonly suite: Suite;
  /** The seed's containers, in the order they are stopped. */
  readonly containers: readonly SeedContainer[];
  /** Seed containers whose restart policy is set to `no` while they are kept (else the boot script starts them). */
  readonly restartOff: readonly string[];
  readonly networks: readonly NetworkMove[];
  readonly data: readonly DataStep[];
  /** ZFS datasets to snapshot before anything moves. */
  readonly datasets: readonly string[];
  /** micropod's services, in start order. */
  readonly start: readonly string[];
}

/** A restart policy under which podman's boot script (`podman start --all --filter restart-policy=always`) or podman itself starts a container. */
const restarts = (policy: string) => policy === "always" || policy === "unless-stopped";

/**
 * Observe the seed suite and plan its adoption; every problem at once, nothing changed. The
 * configuration is checked first (a bad .env needs no podman to be refused).
 */
export async function planAdoption(runner: Runner, i: AdoptInputs): Promise<AdoptPlan> {
  const problems: Problem[] = [];
  if (!isAbsolute(i.dataDir)) problems.push({ path: "--data-dir", message: `${i.dataDir}: an absolute path` });
  if (existsSync(i.envFile)) problems.push({ file: i.envFile, message: "exists already: adopt writes micropod's .env from the seed's; move this one away, or pass --env FILE for another place" });
  const journal = await readJournal(i.dataDir);
  if (journal && journal.status !== "reverted") problems.push({ file: journal.path, message: `an adoption is ${journal.status === "adopted" ? "in place" : "under way or failed half-way"}: run micropod adopt --revert first` });
  if (problems.length) throw new ConfigError("cannot adopt", problems);

  const stored = await readSeedSecrets(i.seed.secretsDir);
  const adopted = await adoptedConfig(i.seed.envFile, stored, i.dataDir, i.envFile);
  const suite = pinHostNames(await loadSuite(i.composeFile, adopted.config.vars), adopted.config.vars, i.hostVariables, i.envFile);
  // The suite must plan for a fresh host (a SuiteError here changes nothing).
  planStart(suite, { vars: adopted.config.vars, secretNames: adopted.config.secretNames }, { ...emptyObservedState(), ...(await observeFiles(suite)) });

  const containers = await findSeedContainers(runner, suite);
  if (containers.length === 0) problems.push({ message: `no container of the seed suite found (named mastodon-* or like a service of ${suite.file})` });
  const all = readContainerList((await runner.run(listContainers())).stdout);
  const ours = all.filter((c) => isMicropods(c.labels, suite.project)).map((c) => c.name);
  if (ours.length) problems.push({ message: `micropod's own containers exist already (${ours.join(", ")}): adopt starts micropod on the seed's data, not beside a running micropod` });
  for (const c of containers) {
    if (all.some((x) => x.name === keptName(c.name))) problems.push({ path: c.name, message: `cannot be kept as ${keptName(c.name)}: a container of that name exists` });
  }
  const restartOff = containers.filter((c) => restarts(c.restartPolicy)).map((c) => c.name);
  if (restartOff.length) {
    const version = (await runner.run(podmanVersion(), { allowFailure: true })).stdout.trim();
    if (!version || releaseBefore(version, "5.1.0")) {
      problems.push({ message: `podman ${version || "(unknown version)"} cannot change a container's restart policy (podman update --restart came with 5.1): the seed's ${restartOff.join(", ")} would keep restart=always and podman's boot script would start them beside micropod's; upgrade podman` });
    }
  }
  const nets = await collidingNetworks(runner, suite, containers);
  problems.push(...nets.problems);
  const database = databaseService(suite);
  const data = planData(suite, containers, i.dataDir, { copy: i.copy, database });
  problems.push(...data.problems, ...(await checkData(data.steps)));
  if (!containers.some((c) => c.successor === database) && suite.services.has(database)) {
    problems.push({ message: `no seed container becomes ${database}: its data cannot be found` });
  }
  if (problems.length) throw new ConfigError("cannot adopt the seed suite", problems);

  const datasets = await datasetsOf(runner, [i.dataDir, ...data.steps.flatMap((s) => (s.from ? [s.from] : []))]);
  const runnable = [...suite.services.values()].filter((s) => !s.buildOnly).map((s) => s.name);
  return { ...i, stored, adopted, suite, containers, restartOff, networks: nets.moves, data: data.steps, datasets, start: dependencyGraph(suite).order(runnable) };
}

/** The ZFS datasets holding these paths (none when zfs is absent or they are not on ZFS). */
async function datasetsOf(runner: Runner, paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of paths) {
    const r = await runner.run(zfsDatasetOf(existingAncestor(p)), { allowFailure: true });
    const name = r.exitCode === 0 ? r.stdout.trim().split("\n")[0]?.trim() : undefined;
    if (name) out.add(name);
  }
  return [...out];
}

/** zfs resolves a path through the file system mounted over it: the path must exist (DATA_DIR may not yet). */
function existingAncestor(p: string): string {
  let q = p;
  while (!existsSync(q) && dirname(q) !== q) q = dirname(q);
  return q;
}
