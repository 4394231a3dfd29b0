import type { DependencyGraph } from "../suite/graph.js";
import type { Service, Suite } from "../suite/model.js";
import type { ObservedState } from "./observe.js";

/** The configuration the planner reads: every variable, and which of them are secret. */
export interface PlanVars {
  readonly vars: Readonly<Record<string, string>>;
  readonly secretNames?: ReadonlySet<string>;
}

/**
 * What every step planner (plan-images, plan-networks, plan-secrets, plan-containers) reads: the
 * suite, its graph with the FROM edges observed, what exists now, and the selected services that
 * run, dependencies first. Built once by `planStart`; the step planners are pure functions of it.
 */
export interface Planning {
  readonly suite: Suite;
  readonly graph: DependencyGraph;
  readonly observed: ObservedState;
  /** The selected services that run (build-only ones left out), in start order. */
  readonly runnable: readonly Service[];
}
