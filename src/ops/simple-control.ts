import type { Clock } from "../core/clock.js";
import { NotReadyError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Runner } from "../core/runner.js";
import { containerSpec } from "../engine/spec.js";
import { execInContainer, inspectContainer, removeContainer, runContainer, startContainer, stopContainer, containerLogs } from "../podman/container.js";
import { readContainerInspect } from "../podman/readers.js";
import type { Service, Suite } from "../suite/model.js";
import type { SuiteControl } from "./context.js";
import { serviceOf } from "./services.js";

/** The selection in dependency order: a service after every selected service it depends on. */
export function dependencyOrder(suite: Suite, names: readonly string[]): string[] {
  const wanted = new Set(names);
  const done: string[] = [];
  const visit = (n: string, path: readonly string[]) => {
    if (done.includes(n)) return;
    if (path.includes(n)) throw new Error(`dependency cycle: ${[...path, n].join(" -> ")}`);
    for (const d of serviceOf(suite, n).dependsOn) if (wanted.has(d.service)) visit(d.service, [...path, n]);
    done.push(n);
  };
  for (const n of [...names].sort()) visit(n, []);
  return done;
}

const graceSec = (s: Service) => (s.stopGracePeriodMs !== undefined ? Math.ceil(s.stopGracePeriodMs / 1000) : undefined);

/** The healthcheck's test as a command inside the container. */
export function probeArgv(test: readonly string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === "CMD") return rest;
  if (kind === "CMD-SHELL") return ["/bin/sh", "-c", rest.join(" ")];
  return undefined;
}

/**
 * A SuiteControl on podman alone: start/stop/recreate the given services in dependency order,
 * running each healthcheck itself (FreeBSD podman schedules none). Deliberately small: the
 * engine's start/stop is the full implementation; this one serves ops until that is wired in.
 */
export function simpleSuiteControl(deps: { runner: Runner; suite: Suite; clock: Clock; logger: Logger; signal?: AbortSignal }): SuiteControl {
  const { runner, suite, clock, logger } = deps;

  const details = async (s: Service) => readContainerInspect((await runner.run(inspectContainer(s.containerName), { allowFailure: true })).stdout)[0];

  const waitHealthy = async (name: string): Promise<void> => {
    const s = serviceOf(suite, name);
    const hc = s.healthcheck;
    const argv = hc ? probeArgv(hc.test) : undefined;
    const started = clock.now();
    let failures = 0;
    let last = "";
    for (;;) {
      const d = await details(s);
      if (!d?.running) {
        const logs = await runner.run(containerLogs(s.containerName, { tail: 20 }), { allowFailure: true });
        throw new NotReadyError(`${name} is not running (container ${s.containerName}, exit code ${d?.exitCode ?? "?"})`, [...`${logs.stdout}${logs.stderr}`.trim().split("\n")].slice(-20));
      }
      if (!hc || !argv) return;
      const r = await runner.run(execInContainer(s.containerName, argv), { allowFailure: true, timeoutMs: hc.timeoutMs });
      if (r.exitCode === 0) return;
      last = `${r.stdout}${r.stderr}`.trim();
      const inStartPeriod = clock.now() - started < hc.startPeriodMs;
      if (!inStartPeriod && ++failures >= hc.retries) {
        throw new NotReadyError(`${name} did not become healthy: ${hc.test.slice(1).join(" ")} failed ${failures} times`, last ? last.split("\n").slice(-20) : []);
      }
      await clock.sleep(inStartPeriod ? hc.startIntervalMs || hc.intervalMs : hc.intervalMs, deps.signal);
    }
  };

  return {
    waitHealthy,
    async start(names) {
      for (const n of dependencyOrder(suite, names)) {
        logger.info({ service: n }, "starting");
        await runner.run(startContainer(serviceOf(suite, n).containerName));
        await waitHealthy(n);
      }
    },
    async stop(names) {
      for (const n of dependencyOrder(suite, names).reverse()) {
        const s = serviceOf(suite, n);
        logger.info({ service: n }, "stopping");
        await runner.run(stopContainer(s.containerName, graceSec(s)));
      }
    },
    async recreate(names) {
      for (const n of dependencyOrder(suite, names)) {
        const s = serviceOf(suite, n);
        logger.info({ service: n, image: s.image }, "recreating");
        const grace = graceSec(s);
        await runner.run(removeContainer(s.containerName, { force: true, ...(grace !== undefined ? { timeoutSec: grace } : {}) }), { allowFailure: true });
        await runner.run(runContainer(containerSpec(suite, s)));
        await waitHealthy(n);
      }
    },
  };
}
