import type { Command } from "../core/command.js";
import type { Context } from "../core/context.js";
import { NotReadyError, lastLines } from "../core/errors.js";
import type { Runner } from "../core/runner.js";
import { containerLogs, inspectContainer } from "../podman/container.js";
import { readContainerInspect, readWaitExitCode } from "../podman/readers.js";
import type { Healthcheck } from "../suite/model.js";
import type { ContainerStep } from "./plan.js";
import { checkPassed } from "./plan-containers.js";

/**
 * What a readiness wait needs: podman, time, and the signal that ends it (Ctrl-C, or a failure
 * elsewhere in the start); told of each probe it runs, for the live view.
 */
export type ReadinessContext = Pick<Context, "runner" | "clock" | "signal"> & { readonly onProbe?: (attempt: number) => void };

/** The last lines a failing service wrote, for the error that names it. */
export async function logTail(runner: Runner, container: string, lines = 20): Promise<string[]> {
  const r = await runner.run(containerLogs(container, { tail: lines }), { allowFailure: true });
  return lastLines(`${r.stdout}${r.stderr}`, lines);
}

async function state(runner: Runner, container: string) {
  const r = await runner.run(inspectContainer(container), { allowFailure: true });
  return r.exitCode === 0 ? readContainerInspect(r.stdout)[0] : undefined;
}

/** `podman exec` exits 125 when it cannot exec (126/127: the command cannot run or is missing). */
const PODMAN_EXEC_FAILED = 125;

/**
 * The probe schedule while a start waits on a service. Compose gives a healthcheck the meaning of
 * Docker's HEALTHCHECK (compose-spec 05-services.md, healthcheck: "works in the same way, and has
 * the same default values"): checks every `interval`, every `start_interval` during
 * `start_period`, whose failures do not count, and unhealthy after `retries` consecutive counted
 * failures (checked: the Dockerfile reference, HEALTHCHECK). Those intervals are a monitor's pace;
 * a start waiting on the service wants to see it ready the moment it is. So micropod probes at
 * once, then after FIRST_PROBE_DELAY_MS, each later wait an eighth of the time spent so far
 * (readiness is detected within ~12% of the time it took, plus one probe), growing until it
 * reaches `start_interval` (during start_period) or `interval`. Only the probes Compose would
 * have run count as failures: one ending at or after start_period, then one ending at least
 * `interval` after the last counted one. So a check that never passes still fails within
 * start_period + retries × (interval + timeout): no wait lands past the next counted probe.
 */
export const FIRST_PROBE_DELAY_MS = 50;
export const PROBE_DELAY_FRACTION = 1 / 8;

/** How long to wait before the next probe, `elapsedMs` after the wait began; `dueInMs` until the next probe that counts. */
export function nextProbeDelay(hc: Pick<Healthcheck, "intervalMs" | "startPeriodMs" | "startIntervalMs">, elapsedMs: number, dueInMs: number): number {
  const pace = elapsedMs < hc.startPeriodMs ? hc.startIntervalMs || hc.intervalMs : hc.intervalMs;
  return Math.max(0, Math.min(Math.max(FIRST_PROBE_DELAY_MS, elapsedMs * PROBE_DELAY_FRACTION), pace, dueInMs));
}

/**
 * Run the service's healthcheck ourselves: healthy at the first success, failed after `retries`
 * counted failures or at once when the container exits. Two ways at once: a watcher (one
 * `podman exec` repeating the check inside the container every 0.1 s, plan-containers.ts
 * watchCommand) sees readiness within a tenth of a second for the price of one exec, and the
 * probes from outside on the schedule above judge failure. While the watcher runs, only the
 * probes that count are run from outside, the first after max(start_period, interval); if it
 * cannot run (no /bin/sh) or the container exits, the fast schedule is back at once.
 */
export async function waitHealthy(step: ContainerStep, ctx: ReadinessContext): Promise<number> {
  // A wait that would begin after Ctrl-C (its podman start was finishing) never begins: no watcher.
  ctx.signal.throwIfAborted();
  const t0 = ctx.clock.now();
  const done = new AbortController();
  const signal = AbortSignal.any([ctx.signal, done.signal]);
  const watcher = step.readiness.watch ? watch(step.readiness.watch, { ...ctx, signal }) : undefined;
  const probing = probeUntilHealthy(step, { ...ctx, signal }, t0, watcher);
  try {
    if (!watcher) return await probing;
    const seen = watcher.passed.then((ok) => (ok ? ctx.clock.now() - t0 : probing));
    return await Promise.race([probing, seen]);
  } finally {
    done.abort(new Error("readiness settled"));
    probing.catch(() => undefined);
  }
}

interface Watcher {
  /** Undefined while the watcher runs; once it ended, whether the check passed inside the container. */
  sawPass?: boolean;
  /** Settles with sawPass when the watcher ends. */
  readonly passed: Promise<boolean>;
}

function watch(command: Command, ctx: ReadinessContext): Watcher {
  const w: { sawPass?: boolean; passed?: Promise<boolean> } = {};
  w.passed = ctx.runner.run(command, { allowFailure: true, signal: ctx.signal }).then(
    (r) => (w.sawPass = checkPassed(r)),
    () => (w.sawPass = false),
  );
  return w as Watcher;
}

const watching = (w: Watcher | undefined): w is Watcher => w !== undefined && w.sawPass === undefined;

async function probeUntilHealthy(step: ContainerStep, ctx: ReadinessContext, t0: number, watcher: Watcher | undefined): Promise<number> {
  const hc = step.readiness.healthcheck!;
  const { runner, clock, signal } = ctx;
  let probe = step.readiness.probe!;
  // The probe says the check passed with a line its shell prints (plan-containers.ts CHECK_PASSED);
  // in a container without /bin/sh only the bare check can run, and its exit status must do.
  let passed = checkPassed;
  let failures = 0;
  let attempt = 0;
  // When the next failure counts: from the end of start_period, then `interval` after each counted
  // one. With a watcher, nothing is probed from outside before that, and not before `interval`
  // either (Docker's first check runs `interval` after the start), which stays within the budget.
  let due = t0 + (watcher ? Math.max(hc.startPeriodMs, hc.intervalMs) : hc.startPeriodMs);
  for (;;) {
    if (watching(watcher) && clock.now() < due) await napUnlessEnded(ctx, due - clock.now(), watcher.passed);
    // The watcher saw it pass while this nap ran: waitHealthy has its answer, no probe to start.
    if (watcher?.sawPass) return clock.now() - t0;
    signal.throwIfAborted();
    ctx.onProbe?.(++attempt);
    const r = await runner.run(probe, { allowFailure: true, timeoutMs: hc.timeoutMs, signal });
    signal.throwIfAborted();
    if (passed(r)) return clock.now() - t0;
    if (probe !== step.readiness.check && step.readiness.check && lacksShell(r)) {
      probe = step.readiness.check;
      passed = (x) => x.exitCode === 0;
      continue;
    }
    // The check itself failing exits 1..124; 125 and up is podman (or the probe's timeout) saying
    // the exec could not run, as when the container has exited: only then is it worth asking.
    const st = r.exitCode >= PODMAN_EXEC_FAILED ? await state(runner, step.container) : undefined;
    if (st && !st.running) {
      throw new NotReadyError(`${step.service} exited with code ${st.exitCode} before its healthcheck passed (${hc.test.slice(1).join(" ")})`, [
        `last ${20} log lines of ${step.container}:`,
        ...(await logTail(runner, step.container)),
      ]);
    }
    const now = clock.now();
    if (now >= due) {
      failures++;
      due = now + hc.intervalMs;
    }
    if (failures >= Math.max(1, hc.retries)) throw await unhealthy(step, ctx, { failures, secs: (now - t0) / 1000, exitCode: r.exitCode, output: r.stderr || r.stdout });
    // While the watcher runs, only the probes that count (the wait at the loop's top); once it has
    // ended without a pass, the fast schedule.
    if (!watching(watcher)) await clock.sleep(nextProbeDelay(hc, now - t0, due - now), signal);
  }
}

/**
 * podman exec could not start /bin/sh itself: 126 or 127 with the runtime naming it ("executable
 * file `/bin/sh` not found in $PATH" from crun/runc, "/bin/sh: No such file or directory"), not a
 * command missing inside a running shell ("/bin/sh: pg_isready: not found").
 */
function lacksShell(r: { exitCode: number; stderr: string }): boolean {
  return (r.exitCode === 126 || r.exitCode === 127) && /\/bin\/sh\W*(not found|no such file)/i.test(r.stderr);
}

/** Sleep `ms`, or less if `ended` settles first; the timer never outlives the nap. */
async function napUnlessEnded(ctx: ReadinessContext, ms: number, ended: Promise<unknown>): Promise<void> {
  const nap = new AbortController();
  const sleep = ctx.clock.sleep(ms, AbortSignal.any([ctx.signal, nap.signal])).catch(() => undefined);
  await Promise.race([sleep, ended]);
  nap.abort();
}

async function unhealthy(step: ContainerStep, ctx: ReadinessContext, f: { failures: number; secs: number; exitCode: number; output: string }): Promise<NotReadyError> {
  const hc = step.readiness.healthcheck!;
  const last = f.output.trim().split("\n").pop() ?? "";
  return new NotReadyError(
    `${step.service} is not healthy after ${f.secs.toFixed(1)}s: healthcheck \`${hc.test.slice(1).join(" ")}\` failed ${f.failures} times (exit ${f.exitCode}${last ? `: ${last}` : ""})`,
    [`last 20 log lines of ${step.container}:`, ...(await logTail(ctx.runner, step.container))],
  );
}

/** A one-shot must exit 0 (service_completed_successfully); `podman wait` bounded by its completion timeout. */
export async function waitCompleted(step: ContainerStep, ctx: ReadinessContext): Promise<void> {
  const { runner, signal } = ctx;
  const r = await runner.run(step.readiness.wait!, { allowFailure: true, signal, timeoutMs: step.readiness.completionTimeoutMs });
  signal.throwIfAborted();
  if (r.exitCode !== 0) {
    throw new NotReadyError(`${step.service} did not complete within ${Math.round(step.readiness.completionTimeoutMs / 1000)}s (podman wait: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`})`, await logTail(runner, step.container));
  }
  const code = readWaitExitCode(r.stdout);
  if (code !== 0) {
    throw new NotReadyError(`${step.service} (one-shot) exited with code ${code}`, [`last 20 log lines of ${step.container}:`, ...(await logTail(runner, step.container))]);
  }
}
