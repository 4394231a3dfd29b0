import { readFile } from "node:fs/promises";
import { type Command, renderCommand } from "../core/command.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { ExitCode, MicropodError, UsageError } from "../core/errors.js";
import { withLock } from "../core/lock.js";
import { tagOlder } from "../core/version.js";
import { emptyObservedState, observeFiles } from "../engine/observe.js";
import { planStart } from "../engine/plan.js";
import { containerSpec } from "../engine/spec.js";
import { type ContainerSpec, runOnce } from "../podman/container.js";
import { inspectImage, tagImage } from "../podman/image.js";
import { readImageInspect } from "../podman/readers.js";
import { type BuildBases, dependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import { roleService, roleServiceName } from "../suite/roles.js";
import { backup } from "./backup.js";
import type { OpsContext } from "./context.js";
import { planVars, startFrom } from "./engine.js";

export interface UpgradeOptions {
  /** The Mastodon release tag to build (the template image's MASTODON_VERSION build arg). */
  readonly version: string;
  /** Print the plan, change nothing. */
  readonly check?: boolean;
  /** Backups to keep (the upgrade's own backup counts). */
  readonly keep?: number;
}

export type UpgradeStep = "backup" | "keep-previous" | "build" | "pre-migrate" | "recreate" | "post-migrate" | "record-version" | "refresh";

export const migrateArgv = ["bundle", "exec", "rails", "db:migrate"] as const;

/** The tag the previous template image keeps while an upgrade runs, and after it for a manual rollback. */
export function previousRef(image: string): string {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}:micropod-previous`;
}

/**
 * A one-shot migration container: the web service's image, environment and secrets, without
 * what belongs to the long-running web container (its name, static addresses, ports, restart
 * policy, log file).
 */
export function migrationSpec(suite: Suite, phase: "pre" | "post"): ContainerSpec {
  const web = containerSpec(suite, roleService(suite, "web"));
  const env = { ...(web.env ?? {}), ...(phase === "pre" ? { SKIP_POST_DEPLOYMENT_MIGRATIONS: "true" } : {}) };
  return {
    name: `${suite.project}-upgrade-${phase}-migrate`,
    image: web.image,
    labels: { "micropod.oneoff": `upgrade-${phase}-migrate` },
    ...(web.networkMode ? { networkMode: web.networkMode } : { networks: (web.networks ?? []).map((n) => ({ name: n.name })) }),
    ...(web.volumes ? { volumes: web.volumes } : {}),
    ...(web.extraHosts ? { extraHosts: web.extraHosts } : {}),
    env,
    ...(web.secrets ? { secrets: web.secrets } : {}),
    ...(web.user ? { user: web.user } : {}),
    ...(web.workdir ? { workdir: web.workdir } : {}),
    command: [...migrateArgv],
  };
}

/**
 * The suite as loaded with MASTODON_VERSION=`version`: the compose file reads that variable only
 * as the template's build argument, so setting the argument is the whole difference.
 */
export function atVersion(suite: Suite, version: string): Suite {
  const t = roleService(suite, "template");
  const services = new Map(suite.services);
  services.set(t.name, { ...t, build: { ...t.build!, args: { ...t.build!.args, MASTODON_VERSION: version } } });
  return { ...suite, services };
}

/**
 * The Mastodon processes an upgrade changes, found from the images, not from names: every
 * running service whose image is the template's or is built FROM it (through any chain of
 * builds: the bundled maintaindb builds FROM the template). Long-running ones are recreated
 * between the two migration phases; one-shots (a dependent waits for them with
 * service_completed_successfully) would run every migration at once, so they run again only
 * after the post-deployment migrations.
 */
export interface UpgradeProcesses {
  /** Recreated from the new image in step 5, dependency order. */
  readonly recreate: readonly string[];
  /** Rebuilt and run again once the upgrade is complete. */
  readonly refresh: readonly string[];
}

/** `bases`: each build's FROM images, as the engine reads them (ObservedState.buildContexts). */
export function upgradeProcesses(suite: Suite, bases: BuildBases): UpgradeProcesses {
  const graph = dependencyGraph(suite, bases);
  const order = graph.order(graph.imageUsers(roleServiceName(suite, "template")));
  const oneShot = (n: string) => graph.awaitedConditions(n).includes("service_completed_successfully");
  return { recreate: order.filter((n) => !oneShot(n)), refresh: order.filter(oneShot) };
}

/** What `upgrade` reads from the build contexts: the template build command and the processes. */
async function observeUpgrade(suite: Suite, vars: Readonly<Record<string, string>>): Promise<{ build: Command; processes: UpgradeProcesses }> {
  const observed = { ...emptyObservedState(), ...(await observeFiles(suite)) };
  const t = roleService(suite, "template");
  const build = planStart(suite, { vars }, observed, { services: [t.name] }).builds.find((b) => b.service === t.name)!.command;
  return { build, processes: upgradeProcesses(suite, observed.buildContexts) };
}

/** The plan `--check` prints: every step, with the commands it runs. */
export function upgradePlan(suite: Suite, from: string | undefined, version: string, envFile: string, build: Command, processes: UpgradeProcesses): string[] {
  const image = roleService(suite, "template").image;
  const { recreate, refresh } = processes;
  return [
    `upgrade Mastodon ${from ?? "(unknown)"} -> ${version}`,
    "1. backup: pg_dump, .env and secrets copies, ZFS snapshot when on ZFS",
    `2. keep the current image: podman tag <id of ${image}> ${previousRef(image)}`,
    `3. build: ${renderCommand(build)}`,
    `4. pre-deployment migrations: ${renderCommand(runOnce(migrationSpec(suite, "pre")))}`,
    `5. recreate from the new image, each gated on readiness, leaving what they depend on as it runs: ${recreate.join(", ")}`,
    `6. post-deployment migrations: ${renderCommand(runOnce(migrationSpec(suite, "post")))}`,
    `7. record MASTODON_VERSION=${version} in ${envFile}`,
    ...(refresh.length ? [`8. rebuild and run again on the new image (no migration is left for them): ${refresh.join(", ")}`] : []),
    `on failure before step 7: podman tag <previous id> ${image}, recreate ${recreate.join(", ")} from it, and report the database's state`,
  ];
}

/** What the database holds when step `failed` failed: the sentence the administrator needs. */
export function databaseState(failed: UpgradeStep, backupDir: string | undefined): string {
  const restore = backupDir ? ` The backup taken before the upgrade is ${backupDir} (micropod restore ${backupDir} --stop-writers).` : "";
  switch (failed) {
    case "backup":
    case "keep-previous":
    case "build":
      return "The database is unchanged: no migration ran.";
    case "pre-migrate":
      return `The database may hold some of the new release's pre-deployment migrations (each migration commits on its own); the previous release runs with them.${restore}`;
    case "recreate":
      return `The database holds the new release's pre-deployment migrations; no post-deployment migration ran; the previous release runs with them.${restore}`;
    case "post-migrate":
      return `The database holds the pre-deployment migrations and possibly some post-deployment ones, which the previous release may not expect: check the instance, and restore if it misbehaves.${restore}`;
    case "record-version":
      return `The upgrade itself completed; only writing MASTODON_VERSION to the .env failed: set it by hand, or the next start rebuilds the previous release.`;
    case "refresh":
      return "The upgrade itself completed: the database is migrated, the new release runs and the .env names it; only running the one-shots again on the new image failed: `micropod start` retries them.";
  }
}

/** Set (or add) MASTODON_VERSION in the .env, so the next `micropod start` builds the same release. */
export function withVersion(envText: string, version: string): string {
  const line = `MASTODON_VERSION=${version}`;
  if (/^MASTODON_VERSION=.*$/m.test(envText)) return envText.replace(/^MASTODON_VERSION=.*$/m, line);
  return `${envText}${envText.endsWith("\n") || envText === "" ? "" : "\n"}${line}\n`;
}

/**
 * After a failure past keep-previous: the previous image back under the template's name, and the
 * processes recreated from it when step 5 had begun. Interrupted (Ctrl-C), it only puts the image
 * back: no start runs after the user asked to stop. Returns the sentence for the error's details.
 */
async function rollBack(ctx: OpsContext, r: { failed: UpgradeStep; interrupted: boolean; image: string; previousId: string; recreate: readonly string[] }): Promise<string> {
  try {
    ctx.logger.warn({ step: r.failed }, `upgrade ${r.interrupted ? "interrupted" : "failed"}; putting the previous image back as ${r.image}`);
    await ctx.runner.run(tagImage(r.previousId, r.image));
    const ran = r.failed === "recreate" || r.failed === "post-migrate";
    if (ran && r.interrupted) {
      return `The previous image is back as ${r.image}; the processes recreated from the new one before the interruption run it until \`micropod start\` recreates them from the previous one.`;
    }
    // The suite of the unchanged .env: the planner finds the previous image up to date and recreates from it.
    if (ran) await startFrom(ctx, ctx.suite, planVars(ctx), r.recreate, { noDeps: true });
    return `The previous image is back as ${r.image}${ran ? ` and ${r.recreate.join(", ")} run from it` : ""}.`;
  } catch (rollbackErr) {
    return `Rollback failed too: ${(rollbackErr as Error).message}. The previous image is ${previousRef(r.image)} (${r.previousId}).`;
  }
}

const VERSION = /^v?\d+\.\d+\.\d+([.-][0-9A-Za-z.-]+)?$/;

/**
 * `micropod upgrade --mastodon VERSION`: backup, build, pre-deployment migrations in a one-shot
 * container, recreate the Mastodon processes, post-deployment migrations, record the version, run
 * the one-shots built on the template again. A failure before the version is recorded puts the
 * previous image back, recreates the processes from it, and says what state the database is in.
 */
export async function upgrade(ctx: OpsContext, o: UpgradeOptions): Promise<void> {
  if (!VERSION.test(o.version)) throw new UsageError(`--mastodon ${JSON.stringify(o.version)}: a Mastodon release tag such as v4.3.2`);
  const from = ctx.config.vars.MASTODON_VERSION;
  if (from && tagOlder(o.version, from)) {
    throw new UsageError(`--mastodon ${o.version} is older than the running ${from}: Mastodon's migrations do not run backwards; restore a backup taken before the upgrade instead`);
  }
  // The suite and configuration of the new release: the engine builds the template with its
  // input-hash label and recreates its users with their config-hash labels, exactly as the next
  // `micropod start` (reading MASTODON_VERSION=version from the .env) expects to find them.
  const target = atVersion(ctx.suite, o.version);
  const targetVars = planVars(ctx, { MASTODON_VERSION: o.version });
  const { build, processes } = await observeUpgrade(target, targetVars.vars);
  if (o.check) {
    ctx.out(upgradePlan(target, from, o.version, ctx.config.envFile, build, processes).join("\n"));
    if (from !== o.version) throw new MicropodError(`upgrade to ${o.version} pending (now ${from ?? "unknown"})`, ExitCode.changesPending);
    return;
  }
  const { recreate, refresh } = processes;
  const template = roleService(target, "template");
  const image = template.image;
  const { backupDir } = await withLock(ctx.config.paths.lock, { verb: "upgrade", clock: ctx.clock, signal: ctx.signal }, async () => {
    let step = "backup" as UpgradeStep;
    let backupDir: string | undefined;
    let previousId: string | undefined;
    const say = (s: UpgradeStep, msg: string) => {
      step = s;
      ctx.logger.info({ step: s }, msg);
    };
    try {
      say("backup", "backing up before the upgrade");
      backupDir = (await backup(ctx, o.keep !== undefined ? { keep: o.keep } : {})).dir;

      say("keep-previous", `keeping the current image as ${previousRef(image)}`);
      previousId = readImageInspect((await ctx.runner.run(inspectImage(image))).stdout)[0]?.id;
      if (!previousId) throw new MicropodError(`image ${image} not found: run micropod start once before upgrading`);
      await ctx.runner.run(tagImage(previousId, previousRef(image)));

      say("build", `building ${image} with MASTODON_VERSION=${o.version}`);
      await startFrom(ctx, target, targetVars, [template.name], { buildOnly: true });

      say("pre-migrate", "pre-deployment migrations (SKIP_POST_DEPLOYMENT_MIGRATIONS=true)");
      await ctx.runner.run(runOnce(migrationSpec(target, "pre")));

      say("recreate", `recreating ${recreate.join(", ")}`);
      await startFrom(ctx, target, targetVars, recreate, { noDeps: true });

      say("post-migrate", "post-deployment migrations");
      await ctx.runner.run(runOnce(migrationSpec(target, "post")));

      say("record-version", `recording MASTODON_VERSION=${o.version}`);
      const env = await readFile(ctx.config.envFile, "utf8");
      await writeFileAtomic(ctx.config.envFile, withVersion(env, o.version), { backup: true });

      if (refresh.length) {
        say("refresh", `running ${refresh.join(", ")} again on the new image`);
        // As `micropod start` of the processes: the one-shots are rebuilt and waited on; the rest is left as it runs.
        await startFrom(ctx, target, targetVars, [...recreate, ...refresh]);
      }
    } catch (err) {
      const failed = step as UpgradeStep;
      const interrupted = ctx.signal.aborted;
      const notes = [databaseState(failed, backupDir)];
      if (previousId && !["keep-previous", "record-version", "refresh"].includes(failed)) {
        notes.push(await rollBack(ctx, { failed, interrupted, image, previousId, recreate }));
      }
      const cause = err instanceof MicropodError ? [err.message, ...err.details] : [(err as Error).message];
      throw new MicropodError(`upgrade to ${o.version} ${interrupted ? "interrupted" : "failed"} at step ${failed}`, err instanceof MicropodError ? err.exitCode : ExitCode.failure, [...notes, ...cause]);
    }
    return { backupDir };
  });
  ctx.out(`upgraded Mastodon ${from ?? ""} -> ${o.version}; previous image kept as ${previousRef(image)}; backup ${backupDir}`);
}
