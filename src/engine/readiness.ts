import type { Context } from "../core/context.js";
import { NotReadyError, lastLines } from "../core/errors.js";
import type { Runner } from "../core/runner.js";
import { containerLogs, inspectContainer } from "../podman/container.js";
import { readContainerInspect, readWaitExitCode } from "../podman/readers.js";
import type { ContainerStep } from "./plan.js";

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
 * Run the service's healthcheck ourselves, as Compose's timing fields describe it: probes every
 * start_interval during start_period (failures there do not count), then every interval; healthy
 * at the first success, failed after `retries` counted failures or at once when the container
 * exits. The first probe runs at once: "start as early as possible". Bounded by
 * start_period + retries × (interval + timeout), so it never waits forever.
 */
export async function waitHealthy(step: ContainerStep, ctx: ReadinessContext): Promise<number> {
  const hc = step.readiness.healthcheck!;
  const probe = step.readiness.probe!;
  const { runner, clock, signal } = ctx;
  const t0 = clock.now();
  let failures = 0;
  let attempt = 0;
  let last: string;
  for (;;) {
    signal.throwIfAborted();
    ctx.onProbe?.(++attempt);
    const r = await runner.run(probe, { allowFailure: true, timeoutMs: hc.timeoutMs, signal });
    signal.throwIfAborted();
    if (r.exitCode === 0) return clock.now() - t0;
    last = (r.stderr || r.stdout).trim().split("\n").pop() ?? "";
    // The check itself failing exits 1..124; 125 and up is podman (or the probe's timeout) saying
    // the exec could not run, as when the container has exited: only then is it worth asking.
    const st = r.exitCode >= PODMAN_EXEC_FAILED ? await state(runner, step.container) : undefined;
    if (st && !st.running) {
      throw new NotReadyError(`${step.service} exited with code ${st.exitCode} before its healthcheck passed (${hc.test.slice(1).join(" ")})`, [
        `last ${20} log lines of ${step.container}:`,
        ...(await logTail(runner, step.container)),
      ]);
    }
    const inStartPeriod = clock.now() - t0 < hc.startPeriodMs;
    if (!inStartPeriod) failures++;
    if (failures >= Math.max(1, hc.retries)) {
      const secs = ((clock.now() - t0) / 1000).toFixed(1);
      throw new NotReadyError(
        `${step.service} is not healthy after ${secs}s: healthcheck \`${hc.test.slice(1).join(" ")}\` failed ${failures} times (exit ${r.exitCode}${last ? `: ${last}` : ""})`,
        [`last 20 log lines of ${step.container}:`, ...(await logTail(runner, step.container))],
      );
    }
    await clock.sleep(inStartPeriod ? hc.startIntervalMs || hc.intervalMs : hc.intervalMs, signal);
  }
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
