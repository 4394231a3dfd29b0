import type { Command } from "../core/command.js";
import type { Context } from "../core/context.js";
import { InterruptedError, MicropodError } from "../core/errors.js";
import { stopContainer } from "../podman/container.js";
import { dependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import { afterEach } from "./concurrency.js";
import type { ObservedState } from "./observe.js";
import { requireServices } from "./plan.js";
import { commandFor } from "./placement.js";
import { stopTimeoutSec } from "./spec.js";
import { serviceHost } from "../suite/placement.js";

export interface StopStep {
  readonly service: string;
  /** The host it runs on: `command` goes to its podman. */
  readonly host: string;
  readonly container: string;
  readonly timeoutSec: number;
  /** Services that must be stopped first: those that depend on this one. */
  readonly after: readonly string[];
  readonly command: Command;
}

export interface StopPlan {
  readonly steps: readonly StopStep[];
}

/** podman's own default, used when a service gives no stop_grace_period. */
export const PODMAN_DEFAULT_STOP_SEC = 10;

/**
 * Pure: stop the running containers of the asked services and of everything depending on them
 * (stopping a database under a running web only breaks the web), dependents first, each with its
 * stop_grace_period unless `timeoutSec` overrides it.
 */
export function planStop(suite: Suite, observed: ObservedState, opts: { services?: readonly string[]; timeoutSec?: number } = {}): StopPlan {
  requireServices(suite, opts.services ?? []);
  const graph = dependencyGraph(suite);
  const asked = opts.services?.length ? opts.services : graph.services;
  const running = (n: string) => {
    const c = observed.containers[suite.services.get(n)!.containerName];
    return !!c && (c.state === "running" || c.state === "paused" || c.state === "stopping");
  };
  const order = graph.stopClosure(asked).filter(running);
  const set = new Set(order);
  const steps = order.map((n) => {
    const s = suite.services.get(n)!;
    const timeoutSec = opts.timeoutSec ?? stopTimeoutSec(s) ?? PODMAN_DEFAULT_STOP_SEC;
    const after = graph.dependents(n).filter((d) => set.has(d)).sort();
    return { service: n, host: serviceHost(s), container: s.containerName, timeoutSec, after, command: commandFor(suite, n, stopContainer(s.containerName, timeoutSec)) };
  });
  return { steps };
}

export interface StopReport {
  /** When each service finished stopping, ms since the stop began, in completion order. */
  readonly stopped: Array<{ service: string; at: number }>;
}

/**
 * Stop in reverse dependency order, independent services concurrently: each stop begins the
 * moment every dependent has stopped. Ctrl-C launches no further stops; those under way finish.
 */
export async function executeStop(plan: StopPlan, ctx: Pick<Context, "runner" | "clock" | "logger" | "signal">): Promise<StopReport> {
  const t0 = ctx.clock.now();
  const report: StopReport = { stopped: [] };
  const done = afterEach(
    plan.steps,
    (s) => s.service,
    (s) => s.after,
    async (step) => {
      if (ctx.signal.aborted) throw new InterruptedError("stop interrupted");
      ctx.logger.info(`${step.service}: stopping (grace ${step.timeoutSec}s)`);
      await ctx.runner.run(step.command);
      report.stopped.push({ service: step.service, at: ctx.clock.now() - t0 });
      ctx.logger.info(`${step.service}: stopped`);
    },
  );
  const results = await Promise.allSettled(plan.steps.map((s) => done.get(s.service)!));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason instanceof MicropodError ? failed.reason : new MicropodError(String(failed.reason));
  return report;
}
