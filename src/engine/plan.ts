import { SuiteError } from "../core/errors.js";
import { dependencyGraph, type DependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import type { ObservedState } from "./observe.js";
import { type ContainerStep, healthchecksWaitedFor, planContainers } from "./plan-containers.js";
import { type BuildStep, type PullStep, buildGroups, buildsElsewhere, planBuilds, planPulls } from "./plan-images.js";
import { type NetworkStep, planNetworks } from "./plan-networks.js";
import { type SecretStep, envSecretsShownWarning, planSecrets, secretsInEnvironment } from "./plan-secrets.js";
import type { PlanVars, Planning } from "./planning.js";

export type { BuildStep, PullStep } from "./plan-images.js";
export type { ContainerAction, ContainerStep, Readiness } from "./plan-containers.js";
export { probeCommand } from "./plan-containers.js";
export { pullKey } from "./plan-images.js";
export type { NetworkStep } from "./plan-networks.js";
export type { SecretStep } from "./plan-secrets.js";
export type { PlanVars } from "./planning.js";

export interface StartPlanOptions {
  /** Services asked for (their dependencies come along); all when empty. */
  readonly services?: readonly string[];
  /** Where build logs go: <logDir>/build-<service>.log. */
  readonly logDir?: string;
  /**
   * Wait for every selected service with a healthcheck to be healthy, not only for what a
   * dependent waits on (Compose `up --wait`): operations run commands in it right after.
   */
  readonly wait?: boolean;
  /**
   * Start existing containers as they are, never recreate them (Compose `up --no-recreate`):
   * an operation restarting what it stopped brings back what ran, not a changed definition.
   */
  readonly noRecreate?: boolean;
  /**
   * Only the services asked for, not what they depend on (Compose `up --no-deps`): their
   * dependencies are up already, and an upgrade must not touch them (recreating the bundled
   * suite's maintaindb would run every migration while the old release still serves).
   */
  readonly noDeps?: boolean;
}

export interface StartPlan {
  readonly project: string;
  /** Every selected service (runnable and build-only), dependencies first. */
  readonly order: readonly string[];
  readonly networks: readonly NetworkStep[];
  readonly secrets: readonly SecretStep[];
  readonly pulls: readonly PullStep[];
  readonly builds: readonly BuildStep[];
  /** Builds that may run side by side: each group needs only images of earlier groups. */
  readonly buildGroups: readonly (readonly string[])[];
  readonly containers: readonly ContainerStep[];
  readonly warnings: readonly string[];
}

/**
 * observe → PLAN → execute. Pure: the suite, the configuration and what exists in, the steps out.
 * An empty observed state plans a fresh host. Throws SuiteError for a suite that cannot start,
 * naming every problem the step planners found.
 */
export function planStart(suite: Suite, config: PlanVars, observed: ObservedState, opts: StartPlanOptions = {}): StartPlan {
  const graph = dependencyGraph(suite, observed.buildContexts);
  const selected = selectServices(suite, graph, opts.services ?? [], opts.noDeps ?? false);
  const order = graph.order(selected);
  const runnable = order.map((n) => suite.services.get(n)!).filter((s) => !s.buildOnly);
  const at: Planning = { suite, graph, observed, runnable };

  const builds = planBuilds(at, order, opts.logDir);
  const networks = planNetworks(at);
  const secrets = planSecrets(at, config);
  const containers = planContainers(at, {
    builds: new Map(builds.steps.map((b) => [b.service, b])),
    secretValues: secrets.values,
    selected,
    wait: opts.wait ?? false,
    noRecreate: opts.noRecreate ?? false,
  });
  const problems = [...builds.problems, ...buildsElsewhere(at), ...secrets.problems, ...secretsInEnvironment(at, config), ...healthchecksWaitedFor(at)];
  if (problems.length) throw new SuiteError(`${suite.file}: the suite cannot start`, problems);
  return {
    project: suite.project,
    order,
    networks: networks.steps,
    secrets: secrets.steps,
    pulls: planPulls(at),
    builds: builds.steps,
    buildGroups: buildGroups(at, builds.steps),
    containers,
    warnings: [...networks.warnings, ...secrets.warnings, ...envSecretsShownWarning(at)],
  };
}

/** Services named on the command line must exist: a SuiteError naming the ones that do not. */
export function requireServices(suite: Suite, asked: readonly string[]): void {
  const unknown = asked.filter((n) => !suite.services.has(n));
  if (unknown.length) {
    throw new SuiteError(`no such service: ${unknown.join(", ")}`, unknown.map((n) => ({ message: `${n} is not a service of ${suite.file} (services: ${[...suite.services.keys()].join(", ")})` }))).withNext(
      "`micropod plan` lists the suite's services and what each waits on",
    );
  }
}

function selectServices(suite: Suite, graph: DependencyGraph, asked: readonly string[], noDeps: boolean): Set<string> {
  requireServices(suite, asked);
  if (noDeps && asked.length) return new Set(asked);
  // Build-only services never run, so no closure reaches them: one asked for by name is built.
  const roots = asked.length ? asked : [...suite.services.keys()];
  return new Set([...graph.startClosure(roots), ...roots.filter((n) => suite.services.get(n)!.buildOnly)]);
}
