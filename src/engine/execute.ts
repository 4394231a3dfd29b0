import { setMaxListeners } from "node:events";
import { mkdir, readFile } from "node:fs/promises";
import { renderCommand } from "../core/command.js";
import { CommandFailedError, ExitCode, InterruptedError, MicropodError, NotReadyError, lastLines } from "../core/errors.js";
import { connectedRunner } from "../podman/connection.js";
import { inspectContainer, stopContainer } from "../podman/container.js";
import { readContainerInspect } from "../podman/readers.js";
import type { DependencyCondition } from "../suite/model.js";
import { Deferred, ForegroundGate, type Limiter, afterEach, limiter, untilAborted } from "./concurrency.js";
import type { EngineContext, ExecuteContext } from "./context.js";
import { JAIL_PROFILE_FIX, checkJailProfile } from "./jail-profile.js";
import { type BuildStep, type ContainerStep, type StartPlan, pullKey } from "./plan.js";
import type { ProgressEvent, ProgressState } from "./progress.js";
import { waitCompleted, waitHealthy } from "./readiness.js";

/** What happened, for the verb's summary and for tests. */
export interface StartReport {
  readonly built: string[];
  readonly upToDate: string[];
  /** When each build ran, ms since the start of execution: shows which overlapped. */
  readonly buildTimes: Record<string, { start: number; end: number }>;
  /** Container actions in the order they were launched. */
  readonly launched: Array<{ service: string; action: string; at: number }>;
  /** When each service's condition held, ms since the start of execution. */
  readonly ready: Record<string, Partial<Record<DependencyCondition, number>>>;
  elapsedMs: number;
}

/** A dependency that failed: its dependents stop quietly; the root error is the one reported. */
class DependencyFailed extends Error {}

/**
 * observe → plan → EXECUTE. An event-driven walk: every container step starts the moment its
 * image is built and every condition it depends on holds; builds run side by side up to `jobs`.
 * The first failure (or Ctrl-C) stops launching new work; steps under way finish or are
 * interrupted at their next wait, and the root error is thrown.
 */
export async function executeStart(plan: StartPlan, ctx: ExecuteContext): Promise<StartReport> {
  const run = new StartRun(ctx);
  for (const b of plan.builds) run.tell(b.service, "build", { kind: "queued" });
  for (const c of plan.containers) run.tell(c.service, "start", { kind: "queued" });
  await createNetworksAndSecrets(plan, run);
  const pulls = startPulls(plan, run);
  const builds = startBuilds(plan, run);
  const services = startContainers(plan, run, { pulls, builds });
  await Promise.allSettled([...services, ...builds.values(), ...pulls.values()]);
  return run.finish(plan);
}

/** One execution's shared state: its report, its clock origin, and the first failure, which stops the rest. */
class StartRun {
  readonly report: StartReport = { built: [], upToDate: [], buildTimes: {}, launched: [], ready: {}, elapsedMs: 0 };
  /** Aborted by the caller's signal (Ctrl-C) or by the first failure. */
  readonly signal: AbortSignal;
  /** Builds and pulls: at most `jobs` at a time. */
  readonly slots: Limiter;
  /** Creating and starting what can start now; creates ahead of need wait until none is under way. */
  readonly foreground = new ForegroundGate();
  /** When the execution began (the clock's time): the report's times count from it. */
  readonly t0: number;
  private readonly stop = new AbortController();
  private rootError: unknown;

  constructor(readonly ctx: ExecuteContext) {
    this.signal = AbortSignal.any([ctx.signal, this.stop.signal]);
    setMaxListeners(0, this.signal); // one listener per waiting step and probe: many, by design
    this.t0 = ctx.clock.now();
    this.slots = limiter(Math.max(1, ctx.jobs));
  }

  /** Milliseconds since the execution began. */
  since(): number {
    return this.ctx.clock.now() - this.t0;
  }

  readonly fail = (e: unknown): void => {
    if (this.rootError === undefined && !(e instanceof DependencyFailed)) this.rootError = e;
    this.stop.abort(e);
  };

  /** Tell the progress observer, if any, of a service's new state. */
  tell(service: string, step: ProgressEvent["step"], state: ProgressState): void {
    this.ctx.progress?.({ service, step, state });
  }

  mark(service: string, cond: DependencyCondition): void {
    (this.report.ready[service] ??= {})[cond] = this.since();
  }

  /** The report, or the error that ended the execution: an interruption first, then the root failure. */
  finish(plan: StartPlan): StartReport {
    this.report.elapsedMs = this.since();
    const notStarted = plan.containers.filter((c) => this.report.ready[c.service]?.service_started === undefined).map((c) => c.service);
    if (this.ctx.signal.aborted) {
      throw new InterruptedError(`start interrupted${notStarted.length ? `; not started: ${notStarted.join(", ")}` : ""}`);
    }
    if (this.rootError !== undefined) {
      if (notStarted.length) this.ctx.logger.error(`not started: ${notStarted.join(", ")}`);
      throw this.rootError instanceof Error ? this.rootError : new MicropodError(String(this.rootError));
    }
    return this.report;
  }
}

async function createNetworksAndSecrets(plan: StartPlan, run: StartRun): Promise<void> {
  const { runner, logger } = run.ctx;
  for (const n of plan.networks) {
    logger.info(`network ${n.name}: creating`);
    await runner.run(n.command);
  }
  for (const s of plan.secrets) {
    logger.info(`secret ${s.name}: ${s.action}`);
    for (const c of s.commands) await runner.run(c);
  }
}

/** Every pull at once (bounded by the build slots), by image. */
function startPulls(plan: StartPlan, run: StartRun): Map<string, Promise<void>> {
  const pulls = new Map(plan.pulls.map((p) => [pullKey(p.host, p.image), run.slots(() => run.ctx.runner.run(p.command).then(() => undefined))]));
  pulls.forEach((p) => p.catch(run.fail));
  return pulls;
}

/** Every build the moment the builds it is FROM are done, by service. */
function startBuilds(plan: StartPlan, run: StartRun): Map<string, Promise<void>> {
  const builds = afterEach(
    plan.builds,
    (b) => b.service,
    (b) => b.after,
    (b) => runBuild(b, run),
  );
  builds.forEach((p) => p.catch(run.fail));
  return builds;
}

async function runBuild(b: BuildStep, run: StartRun): Promise<void> {
  const { runner, clock, logger } = run.ctx;
  if (b.action === "up-to-date") {
    logger.info(`build ${b.service}: up to date (${b.image})`);
    run.tell(b.service, "build", { kind: "cached" });
    run.report.upToDate.push(b.service);
    return;
  }
  await run.slots(async () => {
    run.signal.throwIfAborted();
    logger.info(`build ${b.service}: building ${b.image} (log: ${b.logFile})`);
    await mkdir(b.logFile.replace(/\/[^/]*$/, ""), { recursive: true });
    const started = clock.now();
    run.tell(b.service, "build", { kind: "building", logFile: b.logFile });
    // A build under way runs to its end, as create and start do: podman killed while it commits
    // an image can leave the image without its manifest, and every later `podman images` fails
    // (containers/podman#12854). New builds do not start after Ctrl-C; a second Ctrl-C kills it.
    const r = await runner.run(b.command, { allowFailure: true, logFile: b.logFile });
    run.signal.throwIfAborted();
    if (r.exitCode !== 0) {
      run.tell(b.service, "build", { kind: "failed", reason: `podman build exited ${r.exitCode}`, logFile: b.logFile });
      const log = await readFile(b.logFile, "utf8").catch(() => `${r.stdout}${r.stderr}`);
      throw new CommandFailedError(renderCommand(b.command, run.ctx.redactor), { exitCode: r.exitCode, stdout: "", stderr: lastLines(log, 20).join("\n") }, [
        `building ${b.service} failed; last lines of ${b.logFile}:`,
      ]).withNext(`the whole log is ${b.logFile}; fix ${b.service}'s Containerfile or context, then \`micropod build ${b.service}\``);
    }
    logger.info(`build ${b.service}: built in ${((clock.now() - started) / 1000).toFixed(1)}s`);
    run.tell(b.service, "build", { kind: "built", ms: clock.now() - started });
    run.report.built.push(b.service);
    run.report.buildTimes[b.service] = { start: started - run.t0, end: run.since() };
  });
}

/** Each service's three conditions, as promises its dependents await: resolved when it holds, rejected when it never will. */
class Conditions {
  private readonly byKey = new Map<string, Deferred>();

  of(service: string, c: DependencyCondition): Deferred {
    const key = `${service}\0${c}`;
    let d = this.byKey.get(key);
    if (!d) this.byKey.set(key, (d = new Deferred()));
    return d;
  }

  /** `service` failed: nothing its dependents wait for will hold. */
  failAll(service: string, e: unknown): void {
    for (const c of ["service_started", "service_healthy", "service_completed_successfully"] as const) this.of(service, c).reject(e);
  }
}

interface Images {
  readonly pulls: ReadonlyMap<string, Promise<void>>;
  readonly builds: ReadonlyMap<string, Promise<void>>;
}

/** Every container step, each the moment what it needs holds; one promise per step, settled when it is done or failed. */
function startContainers(plan: StartPlan, run: StartRun, images: Images): Promise<void>[] {
  const conditions = new Conditions();
  const planned = new Set(plan.containers.map((s) => s.service));
  // Containers are created ahead of their dependencies' readiness, but a dozen `podman create`s at
  // once starve the first services' start on a small host: a bounded queue, taken in plan order
  // (dependencies first), creates the services that can start soonest first.
  const creates = limiter(Math.max(2, run.ctx.jobs));
  return plan.containers.map((step) =>
    runService(step, run, { images, conditions, planned, creates }).catch((e: unknown) => {
      const reason = e instanceof DependencyFailed ? `not started: ${e.message} failed` : e instanceof Error ? e.message : String(e);
      if (e instanceof NotReadyError) e.withNext(`\`micropod logs ${step.service}\` shows all it wrote, \`micropod status\` what runs; once fixed, \`micropod start\` again`);
      run.tell(step.service, "start", { kind: "failed", reason });
      conditions.failAll(step.service, e);
      run.fail(e);
    }),
  );
}

interface ServiceWalk {
  readonly images: Images;
  readonly conditions: Conditions;
  /** The services this plan starts: a dependency outside it is not waited for. */
  readonly planned: ReadonlySet<string>;
  readonly creates: Limiter;
}

/** One container: its image, its early create, its dependencies' conditions, its launch, its own readiness. */
async function runService(step: ContainerStep, run: StartRun, walk: ServiceWalk): Promise<void> {
  await untilAborted(imageReady(step, walk.images), run.signal);
  run.signal.throwIfAborted();
  const awaited = step.dependsOn.filter((d) => walk.planned.has(d.service));
  // From the moment it could start until its podman start returned, a service is foreground work.
  let leave = awaited.every((d) => walk.conditions.of(d.service, d.condition).settled) ? run.foreground.enter() : undefined;
  let launchedAt: number;
  try {
    if (step.prepare.length) await prepare(step, run, walk.creates, leave !== undefined);
    // A container left alone launches nothing: its readiness is checked at once, not after its dependencies'.
    if (step.action !== "leave") {
      if (awaited.length) run.tell(step.service, "start", { kind: "waiting", on: awaited.map((d) => ({ service: d.service, condition: d.condition })) });
      const waits = awaited.map((d) => walk.conditions.of(d.service, d.condition).promise.catch(() => Promise.reject(new DependencyFailed(d.service))));
      await untilAborted(Promise.all(waits), run.signal);
      run.signal.throwIfAborted();
    }
    leave ??= run.foreground.enter();
    launchedAt = run.since();
    run.tell(step.service, "start", { kind: "starting" });
    await launch(step, run);
  } finally {
    leave?.();
  }
  run.mark(step.service, "service_started");
  walk.conditions.of(step.service, "service_started").resolve();
  await awaitReadiness(step, run, walk.conditions);
  run.tell(step.service, "start", { kind: "ready", ms: run.since() - launchedAt });
}

/** The build or pull producing the step's image; a failure there is its dependents' DependencyFailed. */
function imageReady(step: ContainerStep, images: Images): Promise<unknown> {
  const image: Promise<unknown>[] = [];
  if (step.build) image.push(images.builds.get(step.build)!.catch(() => Promise.reject(new DependencyFailed(step.build!))));
  const pull = images.pulls.get(pullKey(step.host, step.image));
  if (pull) image.push(pull.catch(() => Promise.reject(new DependencyFailed(step.image))));
  return Promise.all(image);
}

/**
 * Create (or recreate) the step's container. One that can start the moment it exists is created
 * at once. The others are created ahead of need, a bounded queue of them in plan order, each
 * only while no service that can start now is being created or started: side by side, a dozen
 * `podman create`s slowed the first service's create and start from ~0.3 and ~0.16 s to ~0.5 and
 * ~0.35 s on two cores (issue 12, scripts/bench/engine.mjs).
 */
async function prepare(step: ContainerStep, run: StartRun, creates: Limiter, now: boolean): Promise<void> {
  const create = async () => {
    run.signal.throwIfAborted();
    run.ctx.logger.info(`${step.service}: ${step.action === "recreate" ? "recreating" : "creating"} (${step.reason})`);
    for (const c of step.prepare) await run.ctx.runner.run(c, { uncut: true });
  };
  if (now) await create();
  else
    await creates(async () => {
      await untilAborted(run.foreground.idle(), run.signal);
      await create();
    });
}

async function launch(step: ContainerStep, run: StartRun): Promise<void> {
  const { runner, logger } = run.ctx;
  if (!step.commands.length) {
    logger.info(`${step.service}: ${step.reason}`);
    return;
  }
  run.report.launched.push({ service: step.service, action: step.action, at: run.since() });
  if (!step.prepare.length) logger.info(`${step.service}: ${step.action} (${step.reason})`);
  // Remove/create/start are short and must not be cut in half: no signal here, and not killed by a second Ctrl-C.
  for (const c of step.launch) await runner.run(c, { uncut: true });
  logger.info(`${step.service}: started`);
  if (step.jailProfile) await requireJailProfile(step, run.ctx);
}

/** Wait for the conditions the step's dependents (or `--wait`) need, resolving each as it holds. */
async function awaitReadiness(step: ContainerStep, run: StartRun, conditions: Conditions): Promise<void> {
  const { clock, logger } = run.ctx;
  // The wait reads the container's state and log itself: from the podman of the service's host.
  const runner = connectedRunner(run.ctx.runner, step.url);
  const needs = step.readiness.conditions;
  if (needs.includes("service_healthy")) {
    const onProbe = (attempt: number) => run.tell(step.service, "start", { kind: "probing", attempt });
    const ms = await waitHealthy(step, { runner, clock, signal: run.signal, onProbe });
    logger.info(`${step.service}: healthy after ${(ms / 1000).toFixed(1)}s`);
    run.mark(step.service, "service_healthy");
    conditions.of(step.service, "service_healthy").resolve();
  }
  if (needs.includes("service_completed_successfully")) {
    run.tell(step.service, "start", { kind: "completing" });
    if (step.action !== "leave") await waitCompleted(step, { runner, clock, signal: run.signal });
    logger.info(`${step.service}: completed successfully`);
    run.mark(step.service, "service_completed_successfully");
    conditions.of(step.service, "service_completed_successfully").resolve();
  }
}

/**
 * A container that asked for a jail profile runs only with it: ocijail ignores a failing hook, so
 * the jail is checked once the container started (engine/jail-profile.ts). Without the profile the
 * container is stopped and the start fails naming what is missing.
 */
async function requireJailProfile(step: ContainerStep, ctx: EngineContext): Promise<void> {
  if (step.url) {
    // The jail and ocijail's state are on the other host, out of this host's jls.
    ctx.logger.warn(`${step.service}: the ${step.jailProfile} jail profile is not checked on host ${step.host}`);
    return;
  }
  const details = readContainerInspect((await ctx.runner.run(inspectContainer(step.container))).stdout)[0];
  if (!details) throw new MicropodError(`${step.service}: podman has no container ${step.container} right after starting it`);
  const check = await checkJailProfile(ctx.runner, details, ctx.ocijailStateDir);
  if (!check) return;
  if (check.status === "in-effect") ctx.logger.info(`${step.service}: jail ${check.jid} has the ${check.profile} profile`);
  else if (check.status === "not-a-jail") ctx.logger.debug(`${step.service}: runtime ${check.runtime} makes no jail; the ${check.profile} profile is not checked`);
  else if (check.status === "unknown-profile") ctx.logger.warn(`${step.service}: unknown jail profile ${check.profile}: nothing applies it`);
  else {
    await ctx.runner.run(stopContainer(step.container, step.stopTimeoutSec), { allowFailure: true });
    throw new MicropodError(
      `${step.service}: the jail profile ${check.profile} is not in effect${check.jid ? ` in jail ${check.jid}` : ""}: ${check.problems.join("; ")}; ${step.container} was stopped`,
      ExitCode.prerequisite,
      JAIL_PROFILE_FIX.map((f) => `fix: ${f}`),
    );
  }
}
