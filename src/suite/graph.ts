import { canonicalImage } from "./images.js";
import type { Dependency, Suite } from "./model.js";

/**
 * The suite's dependency graph, for start (dependencies first), stop (dependents first), plan
 * and the benchmark's lower bound.
 *
 * Build-only services (the mastodon template) are nodes of the graph but never run: no
 * `depends_on` edge may point at one (the loader refuses it), they never appear in a start or
 * stop closure, and the services that run their image reach them through `imageBuilder` /
 * `buildClosure` instead, because what a container needs from them is an image that exists
 * before it is created, not a running process.
 *
 * `required: false` edges order two services that are both started, but do not pull the
 * dependency into a start closure (Compose: an optional dependency that is not there is skipped).
 *
 * Orders are stable: among services whose dependencies are all placed, the one written first in
 * the compose file goes first.
 */
export interface DependencyGraph {
  /** Every service, in compose-file order. */
  readonly services: readonly string[];
  /** Direct dependencies with their conditions, as written. */
  dependencies(name: string): readonly Dependency[];
  /** Services with a direct depends_on edge to `name`, in compose-file order. */
  dependents(name: string): readonly string[];
  /** All services (build-only ones included), dependencies before dependents. */
  topologicalOrder(): string[];
  /** Exactly the given services (build-only ones included), dependencies before dependents; edges to others ignored. */
  order(names: Iterable<string>): string[];
  /** The running services `names` need (them plus required dependencies, transitively), in start order. */
  startClosure(names: readonly string[]): string[];
  /** The running services `names` plus everything that depends on them, transitively, in stop order (dependents first). */
  stopClosure(names: readonly string[]): string[];
  /** The service whose `build:` produces `name`'s image (itself when it builds), if any. */
  imageBuilder(name: string): string | undefined;
  /** Services whose builds the given services need (their image builders), in compose-file order. */
  buildClosure(names: readonly string[]): string[];
  /**
   * The lower bound of a start where every service starts the moment its conditions hold:
   * `readyAfterMs(s)` is how long s takes from its start until `service_healthy` /
   * `service_completed_successfully` holds (a `service_started` edge holds at once).
   */
  criticalPath(readyAfterMs: (name: string) => number, names?: readonly string[]): CriticalPath;
}

export interface CriticalPath {
  /** The makespan: when the last service is ready. */
  readonly totalMs: number;
  /** The chain of services that determines it, first to last. */
  readonly path: readonly string[];
}

export function dependencyGraph(suite: Suite): DependencyGraph {
  const names = [...suite.services.keys()];
  const index = new Map(names.map((n, i) => [n, i]));
  const deps = new Map<string, Dependency[]>();
  const rdeps = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const s of suite.services.values()) {
    const known = s.dependsOn.filter((d) => suite.services.has(d.service));
    deps.set(s.name, known);
    for (const d of known) rdeps.get(d.service)!.push(s.name);
  }
  const byFileOrder = (a: string, b: string) => index.get(a)! - index.get(b)!;
  for (const list of rdeps.values()) list.sort(byFileOrder);
  const runs = (n: string) => !suite.services.get(n)!.buildOnly;
  const need = (n: string): void => {
    if (!suite.services.has(n)) throw new Error(`unknown service ${JSON.stringify(n)}`);
  };

  /** Kahn's algorithm over `subset`, edges restricted to it, ties broken by file order. */
  const order = (subset: ReadonlySet<string>): string[] => {
    const pending = new Map<string, number>();
    for (const n of subset) pending.set(n, deps.get(n)!.filter((d) => subset.has(d.service)).length);
    const out: string[] = [];
    const ready = [...subset].filter((n) => pending.get(n) === 0).sort(byFileOrder);
    while (ready.length > 0) {
      const n = ready.shift()!;
      out.push(n);
      for (const m of rdeps.get(n)!) {
        if (!subset.has(m)) continue;
        const left = pending.get(m)! - 1;
        pending.set(m, left);
        if (left === 0) {
          ready.push(m);
          ready.sort(byFileOrder);
        }
      }
    }
    if (out.length !== subset.size) {
      const stuck = [...subset].filter((n) => !out.includes(n)).sort(byFileOrder);
      throw new Error(`dependency cycle among ${stuck.join(", ")}`);
    }
    return out;
  };

  const imageBuilder = (name: string): string | undefined => {
    need(name);
    const s = suite.services.get(name)!;
    if (s.build) return name;
    const image = canonicalImage(s.image);
    return names.find((n) => {
      const other = suite.services.get(n)!;
      return other.build !== undefined && canonicalImage(other.image) === image;
    });
  };

  const graph: DependencyGraph = {
    services: names,
    dependencies: (name) => (need(name), deps.get(name)!),
    dependents: (name) => (need(name), rdeps.get(name)!),
    topologicalOrder: () => order(new Set(names)),
    order(selection) {
      const set = new Set(selection);
      set.forEach(need);
      return order(set);
    },
    startClosure(selection) {
      const set = new Set<string>();
      const add = (n: string): void => {
        need(n);
        if (set.has(n) || !runs(n)) return;
        set.add(n);
        for (const d of deps.get(n)!) if (d.required) add(d.service);
      };
      selection.forEach(add);
      return order(set);
    },
    stopClosure(selection) {
      const set = new Set<string>();
      const add = (n: string): void => {
        need(n);
        if (set.has(n) || !runs(n)) return;
        set.add(n);
        rdeps.get(n)!.forEach(add);
      };
      selection.forEach(add);
      return order(set).reverse();
    },
    imageBuilder,
    buildClosure(selection) {
      const set = new Set<string>();
      for (const n of selection) {
        const b = imageBuilder(n);
        if (b) set.add(b);
      }
      return [...set].sort(byFileOrder);
    },
    criticalPath(readyAfterMs, selection) {
      const subset = new Set(selection ?? names.filter(runs));
      const startAt = new Map<string, number>();
      const via = new Map<string, string | undefined>();
      const readyAt = (n: string) => startAt.get(n)! + readyAfterMs(n);
      for (const n of order(subset)) {
        let start = 0;
        let from: string | undefined;
        for (const d of deps.get(n)!) {
          if (!subset.has(d.service)) continue;
          const t = d.condition === "service_started" ? startAt.get(d.service)! : readyAt(d.service);
          if (from === undefined || t > start) {
            start = t;
            from = d.service;
          }
        }
        startAt.set(n, start);
        via.set(n, from);
      }
      let last: string | undefined;
      for (const n of startAt.keys()) if (last === undefined || readyAt(n) > readyAt(last)) last = n;
      const path: string[] = [];
      for (let n = last; n !== undefined; n = via.get(n)) path.unshift(n);
      return { totalMs: last === undefined ? 0 : readyAt(last), path };
    },
  };
  return graph;
}
