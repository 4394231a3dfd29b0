import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "../../core/command.js";
import { loadConfig, registerSecrets } from "../../config/load.js";
import { containerExists, listContainers, removeContainer } from "../../podman/container.js";
import { networkExists, removeNetwork } from "../../podman/network.js";
import { readContainerList } from "../../podman/readers.js";
import { loadSuite } from "../../suite/load.js";
import { stopForOperation } from "../engine.js";
import type { AdoptContext } from "./context.js";
import { type AdoptionJournal, fileHash, writeJournal } from "./journal.js";
import { isMicropods } from "./seed-containers.js";
import { restoreNetworks, restoreSeed, startSeed } from "./steps.js";

/**
 * Undo an adoption from its journal, whatever part of it ran: micropod's containers stopped (the
 * engine's stop, each with its grace period) and removed, its networks on the seed's subnets
 * removed, the seed's data moved back, its containers renamed back with their restart policy,
 * its networks recreated with each container's addresses, and what ran started again in its
 * order. Every step looks before it acts, so undoing a step that never ran changes nothing and
 * a second revert finds nothing to do. The caller holds the lock. Returns what it did, for people.
 */
export async function revertAdoption(ctx: AdoptContext, j: AdoptionJournal): Promise<string[]> {
  const notes: string[] = [];
  const exists = async (c: Command) => (await ctx.runner.run(c, { allowFailure: true })).exitCode === 0;

  const ours = readContainerList((await ctx.runner.run(listContainers({ "com.docker.compose.project": j.project }))).stdout).filter((c) => isMicropods(c.labels, j.project));
  if (ours.length) {
    // The engine's stop gives each service its grace period (PostgreSQL checkpoints); without the
    // configuration adopt wrote, podman's own stop timeouts do.
    if (existsSync(j.envFile)) {
      const config = await loadConfig(j.envFile);
      registerSecrets(config, ctx.redactor);
      const suite = await loadSuite(j.composeFile, config.vars);
      await stopForOperation({ ...ctx, config, suite }, [...suite.services.values()].filter((s) => !s.buildOnly).map((s) => s.name));
    }
    for (const c of ours) await ctx.runner.run(removeContainer(c.name, { force: true }));
    notes.push(`micropod's containers stopped and removed: ${ours.map((c) => c.name).join(", ")}`);
  }
  for (const n of j.networks) {
    if (await exists(networkExists(n.collidesWith))) await ctx.runner.run(removeNetwork(n.collidesWith));
  }
  for (const d of [...j.data].reverse()) {
    if (d.action !== "move" || !existsSync(d.path) || existsSync(d.from!)) continue;
    await mkdir(dirname(d.from!), { recursive: true, mode: 0o755 });
    await rename(d.path, d.from!);
    notes.push(`data moved back: ${d.path} -> ${d.from}`);
  }
  for (const c of j.containers) {
    if (!(await exists(containerExists(c.kept))) || (await exists(containerExists(c.name)))) continue;
    await runAll(ctx, restoreSeed({ containers: [c], networks: [], snapshots: [] }));
  }
  for (const n of j.networks) {
    if (await exists(networkExists(n.network.name))) continue;
    await runAll(ctx, restoreNetworks({ containers: [], networks: [n], snapshots: [] }));
    notes.push(`the seed's network ${n.network.name} recreated`);
  }
  const restart = startSeed(j);
  await runAll(ctx, restart);
  if (restart.length) notes.push(`the seed's containers run again: ${restart.map((c) => c.argv.at(-1)).join(", ")}`);
  for (const f of j.created) {
    if (!existsSync(f.path)) continue;
    if (f.hash && f.hash !== (await fileHash(f.path))) {
      await rename(f.path, `${f.path}.adopt-reverted`);
      notes.push(`${f.path} was edited since the adoption: kept as ${f.path}.adopt-reverted`);
    } else await rm(f.path, { force: true });
  }
  for (const d of j.data) if (d.action === "copy" && existsSync(d.path)) notes.push(`micropod's copy ${d.path} is left in place (the seed kept its own ${d.from})`);
  await writeJournal({ ...j, status: "reverted" });
  return notes;
}

async function runAll(ctx: AdoptContext, commands: readonly Command[]): Promise<void> {
  for (const c of commands) await ctx.runner.run(c);
}
