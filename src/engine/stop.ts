import type { Command } from "../core/command.js";
import type { Context } from "../core/context.js";
import { InterruptedError, MicropodError } from "../core/errors.js";
import { stopContainers } from "../podman/container.js";
import { dependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import type { ObservedState } from "./observe.js";
import { requireServices } from "./plan.js";
import type { ProgressObserver } from "./progress.js";
import { onConnection } from "../podman/connection.js";
import { stopTimeoutSec } from "./spec.js";
import { hostUrl, serviceHost } from "../suite/placement.js";

export interface StopStep {
  readonly service: string;
  /** The host it runs on, and that host's podman URL (undefined: the local podman). */
  readonly host: string;
  readonly connection?: string;
  readonly container: string;
  readonly timeoutSec: number;
  /** Services that must be stopped first: those that depend on this one. */
  readonly after: readonly string[];
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
export function planStop(suite: Suite, observed: Pick<ObservedState, "containers">, opts: { services?: readonly string[]; timeoutSec?: number } = {}): StopPlan {
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
    const host = serviceHost(s);
    const connection = hostUrl(suite, host);
    return { service: n, host, ...(connection ? { connection } : {}), container: s.containerName, timeoutSec, after };
  });
  return { steps };
}

export interface StopReport {
  /** When each service finished stopping, ms since the stop began, in completion order. */
  readonly stopped: Array<{ service: string; at: number }>;
}

/**
 * Stop in reverse dependency order, independent services concurrently: each stop begins the
 * moment every dependent has stopped. The services that become free to stop at the same moment
 * with the same grace period go in one `podman stop` (podman stops its arguments side by side; one
 * process instead of several is what a small host notices). Ctrl-C launches no further stops;
 * those under way finish. A failed stop leaves what it guards running, and is the error thrown.
 */
export async function executeStop(
  plan: StopPlan,
  ctx: Pick<Context, "runner" | "clock" | "logger" | "signal"> & { readonly progress?: ProgressObserver },
): Promise<StopReport> {
  const t0 = ctx.clock.now();
  for (const s of plan.steps) ctx.progress?.({ service: s.service, step: "stop", state: { kind: "queued" } });
  const report: StopReport = { stopped: [] };
  const waiting = new Map(plan.steps.map((s) => [s.service, s]));
  const stopped = new Set<string>();
  const failures: unknown[] = [];
  const stopBatch = async (batch: readonly StopStep[]): Promise<void> => {
    for (const s of batch) {
      ctx.logger.info(`${s.service}: stopping (grace ${s.timeoutSec}s)`);
      ctx.progress?.({ service: s.service, step: "stop", state: { kind: "stopping" } });
    }
    try {
      await ctx.runner.run(stopBatchCommand(batch));
      for (const s of batch) {
        stopped.add(s.service);
        report.stopped.push({ service: s.service, at: ctx.clock.now() - t0 });
        ctx.logger.info(`${s.service}: stopped`);
        ctx.progress?.({ service: s.service, step: "stop", state: { kind: "stopped" } });
      }
    } catch (e) {
      failures.push(e);
    }
  };
  const underWay = new Set<Promise<void>>();
  for (;;) {
    const free = ctx.signal.aborted ? [] : [...waiting.values()].filter((s) => s.after.every((d) => stopped.has(d)));
    for (const batch of stopBatches(free)) {
      batch.forEach((s) => waiting.delete(s.service));
      const p: Promise<void> = stopBatch(batch).finally(() => underWay.delete(p));
      underWay.add(p);
    }
    if (underWay.size === 0) break;
    await Promise.race(underWay);
  }
  if (failures.length) throw failures[0] instanceof MicropodError ? failures[0] : new MicropodError(String(failures[0]));
  if (waiting.size && ctx.signal.aborted) throw new InterruptedError("stop interrupted");
  return report;
}

/**
 * The one `podman stop` for steps free to stop at the same moment, on one host with one grace
 * period (stopBatches groups them so): podman stops its arguments side by side.
 */
export function stopBatchCommand(batch: readonly StopStep[]): Command {
  return onConnection(stopContainers(batch.map((s) => s.container), batch[0]!.timeoutSec), batch[0]!.connection);
}

/** Steps grouped by host and grace period, in plan order: one `podman stop` each. */
function stopBatches(steps: readonly StopStep[]): StopStep[][] {
  const groups = new Map<string, StopStep[]>();
  for (const s of steps) {
    const key = `${s.host}\0${s.timeoutSec}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}
