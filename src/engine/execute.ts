import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import type { Clock } from "../core/clock.js";
import { CommandFailedError, ExitCode, InterruptedError, MicropodError, lastLines } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Runner } from "../core/runner.js";
import { readFile } from "node:fs/promises";
import { renderCommand } from "../core/command.js";
import type { Redactor } from "../core/redact.js";
import type { DependencyCondition } from "../suite/model.js";
import type { BuildStep, ContainerStep, StartPlan } from "./plan.js";
import { inspectContainer, stopContainer } from "../podman/container.js";
import { readContainerInspect } from "../podman/readers.js";
import { JAIL_PROFILE_FIX, checkJailProfile } from "./jail-profile.js";
import { waitCompleted, waitHealthy } from "./readiness.js";

export interface ExecuteDeps {
  readonly runner: Runner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly redactor?: Redactor;
  /** Concurrent builds (and pulls). */
  readonly jobs: number;
  /** ocijail's state database, where a started jail's id is read (default /var/run/ocijail). */
  readonly ocijailStateDir?: string;
}

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

class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  }
}

/** A dependency that failed: its dependents stop quietly; the root error is the one reported. */
class DependencyFailed extends Error {}

/** At most `n` at a time. */
function limiter(n: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((res) => queue.push(res));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody awaits `p` any more; its later rejection (a dependency failing) is expected, not unhandled.
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), res(v)),
      (e) => (signal.removeEventListener("abort", onAbort), rej(e)),
    );
  });
}

/**
 * observe → plan → EXECUTE. An event-driven walk: every container step starts the moment its
 * image is built and every condition it depends on holds; builds run side by side up to `jobs`.
 * The first failure (or Ctrl-C) stops launching new work; steps under way finish or are
 * interrupted at their next wait, and the root error is thrown.
 */
export async function executeStart(plan: StartPlan, deps: ExecuteDeps): Promise<StartReport> {
  const { runner, clock, logger } = deps;
  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, stop.signal]);
  setMaxListeners(0, signal); // one listener per waiting step and probe: many, by design
  const t0 = clock.now();
  const report: StartReport = { built: [], upToDate: [], buildTimes: {}, launched: [], ready: {}, elapsedMs: 0 };
  let rootError: unknown;
  const fail = (e: unknown) => {
    if (rootError === undefined && !(e instanceof DependencyFailed)) rootError = e;
    stop.abort(e);
  };
  const mark = (service: string, cond: DependencyCondition) => ((report.ready[service] ??= {})[cond] = clock.now() - t0);

  for (const n of plan.networks) {
    logger.info(`network ${n.name}: creating`);
    await runner.run(n.command);
  }
  for (const s of plan.secrets) {
    logger.info(`secret ${s.name}: ${s.action}`);
    for (const c of s.commands) await runner.run(c);
  }

  const slots = limiter(Math.max(1, deps.jobs));
  const pulls = new Map(plan.pulls.map((p) => [p.image, slots(() => runner.run(p.command).then(() => undefined))]));
  pulls.forEach((p) => p.catch(fail));

  const buildDone = new Map<string, Promise<void>>();
  const byService = new Map(plan.builds.map((b) => [b.service, b]));
  const runBuild = (b: BuildStep): Promise<void> => {
    let p = buildDone.get(b.service);
    if (p) return p;
    p = (async () => {
      await Promise.all(b.after.map((a) => runBuild(byService.get(a)!)));
      if (b.action === "up-to-date") {
        logger.info(`build ${b.service}: up to date (${b.image})`);
        report.upToDate.push(b.service);
        return;
      }
      await slots(async () => {
        signal.throwIfAborted();
        logger.info(`build ${b.service}: building ${b.image} (log: ${b.logFile})`);
        await mkdir(b.logFile.replace(/\/[^/]*$/, ""), { recursive: true });
        const started = clock.now();
        const r = await runner.run(b.command, { allowFailure: true, logFile: b.logFile, signal });
        signal.throwIfAborted();
        if (r.exitCode !== 0) {
          const log = await readFile(b.logFile, "utf8").catch(() => `${r.stdout}${r.stderr}`);
          throw new CommandFailedError(renderCommand(b.command, deps.redactor), { exitCode: r.exitCode, stdout: "", stderr: lastLines(log, 20).join("\n") }, [
            `building ${b.service} failed; last lines of ${b.logFile}:`,
          ]);
        }
        logger.info(`build ${b.service}: built in ${((clock.now() - started) / 1000).toFixed(1)}s`);
        report.built.push(b.service);
        report.buildTimes[b.service] = { start: started - t0, end: clock.now() - t0 };
      });
    })();
    p.catch(fail);
    buildDone.set(b.service, p);
    return p;
  };
  plan.builds.forEach(runBuild);

  const cond = new Map<string, Deferred>();
  const condition = (service: string, c: DependencyCondition): Deferred => {
    const key = `${service}\0${c}`;
    let d = cond.get(key);
    if (!d) cond.set(key, (d = new Deferred()));
    return d;
  };
  const steps = new Map(plan.containers.map((s) => [s.service, s]));
  // Containers are created ahead of their dependencies' readiness, but a dozen `podman create`s at
  // once starve the first services' start on a small host: a bounded queue, taken in plan order
  // (dependencies first), creates the services that can start soonest first.
  const creates = limiter(Math.max(2, deps.jobs));

  const runService = async (step: ContainerStep): Promise<void> => {
    const started = condition(step.service, "service_started");
    const healthy = condition(step.service, "service_healthy");
    const completed = condition(step.service, "service_completed_successfully");
    try {
      const image: Promise<unknown>[] = [];
      if (step.build) image.push(buildDone.get(step.build)!.catch(() => Promise.reject(new DependencyFailed(step.build!))));
      const pull = pulls.get(step.image);
      if (pull) image.push(pull.catch(() => Promise.reject(new DependencyFailed(step.image))));
      await untilAborted(Promise.all(image), signal);
      signal.throwIfAborted();
      if (step.prepare.length) {
        await creates(async () => {
          signal.throwIfAborted();
          logger.info(`${step.service}: ${step.action === "recreate" ? "recreating" : "creating"} (${step.reason})`);
          for (const c of step.prepare) await runner.run(c);
        });
      }
      // A container left alone launches nothing: its readiness is checked at once, not after its dependencies'.
      if (step.action !== "leave") {
        const waits = step.dependsOn
          .filter((d) => steps.has(d.service))
          .map((d) => condition(d.service, d.condition).promise.catch(() => Promise.reject(new DependencyFailed(d.service))));
        await untilAborted(Promise.all(waits), signal);
        signal.throwIfAborted();
      }
      if (step.commands.length) {
        report.launched.push({ service: step.service, action: step.action, at: clock.now() - t0 });
        if (!step.prepare.length) logger.info(`${step.service}: ${step.action} (${step.reason})`);
        // Create/start are short and must not be cut in half: no signal here.
        for (const c of step.launch) await runner.run(c);
        logger.info(`${step.service}: started`);
        if (step.jailProfile) await requireJailProfile(step, deps);
      } else logger.info(`${step.service}: ${step.reason}`);
      mark(step.service, "service_started");
      started.resolve();
      const needs = step.readiness.conditions;
      if (needs.includes("service_healthy")) {
        const ms = await waitHealthy(step, { runner, clock, signal });
        logger.info(`${step.service}: healthy after ${(ms / 1000).toFixed(1)}s`);
        mark(step.service, "service_healthy");
        healthy.resolve();
      }
      if (needs.includes("service_completed_successfully")) {
        if (step.action !== "leave") await waitCompleted(step, { runner, clock, signal });
        logger.info(`${step.service}: completed successfully`);
        mark(step.service, "service_completed_successfully");
        completed.resolve();
      }
    } catch (e) {
      for (const d of [started, healthy, completed]) d.reject(e);
      throw e;
    }
  };
  const tasks = plan.containers.map((s) => runService(s).catch(fail));
  await Promise.allSettled([...tasks, ...buildDone.values(), ...pulls.values()]);
  report.elapsedMs = clock.now() - t0;

  const notStarted = plan.containers.filter((c) => !report.ready[c.service]?.service_started).map((c) => c.service);
  if (deps.signal.aborted) {
    throw new InterruptedError(`start interrupted${notStarted.length ? `; not started: ${notStarted.join(", ")}` : ""}`);
  }
  if (rootError !== undefined) {
    if (notStarted.length) logger.error(`not started: ${notStarted.join(", ")}`);
    throw rootError instanceof Error ? rootError : new MicropodError(String(rootError));
  }
  return report;
}

/**
 * A container that asked for a jail profile runs only with it: ocijail ignores a failing hook, so
 * the jail is checked once the container started (engine/jail-profile.ts). Without the profile the
 * container is stopped and the start fails naming what is missing.
 */
async function requireJailProfile(step: ContainerStep, deps: ExecuteDeps): Promise<void> {
  const details = readContainerInspect((await deps.runner.run(inspectContainer(step.container))).stdout)[0];
  if (!details) throw new MicropodError(`${step.service}: podman has no container ${step.container} right after starting it`);
  const check = await checkJailProfile(deps.runner, details, deps.ocijailStateDir);
  if (!check) return;
  if (check.status === "in-effect") deps.logger.info(`${step.service}: jail ${check.jid} has the ${check.profile} profile`);
  else if (check.status === "not-a-jail") deps.logger.debug(`${step.service}: runtime ${check.runtime} makes no jail; the ${check.profile} profile is not checked`);
  else if (check.status === "unknown-profile") deps.logger.warn(`${step.service}: unknown jail profile ${check.profile}: nothing applies it`);
  else {
    await deps.runner.run(stopContainer(step.container, step.stopTimeoutSec), { allowFailure: true });
    throw new MicropodError(
      `${step.service}: the jail profile ${check.profile} is not in effect${check.jid ? ` in jail ${check.jid}` : ""}: ${check.problems.join("; ")}; ${step.container} was stopped`,
      ExitCode.prerequisite,
      JAIL_PROFILE_FIX.map((f) => `fix: ${f}`),
    );
  }
}
