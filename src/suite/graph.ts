import { canonicalImage } from "./images.js";
import type { Dependency, DependencyCondition, Service, Suite } from "./model.js";

/**
 * The suite's one dependency graph: every question about which service comes before which is
 * answered here (start and stop order, the planner's builds, the loader's cycle check, upgrade's
 * processes, `plan`'s output, the benchmark's lower bound).
 *
 * Two kinds of edge join the services:
 * - `depends_on` (runtime): a dependent starts after its dependencies' conditions hold and stops
 *   before them. `required: false` edges order two services that are both started but do not pull
 *   the dependency into a start closure (Compose: an optional dependency that is not there is
 *   skipped).
 * - image edges (build time): a service needs the build producing its image (`imageBuilder`), and
 *   a build needs the builds producing the images its Containerfile names in FROM lines. Those
 *   FROM lines are read from disk (engine/build-context.ts); a graph made without them knows only
 *   which service builds which image.
 *
 * Build-only services (the mastodon template) are nodes of the graph but never run: no
 * `depends_on` edge may point at one (the loader refuses it), they never appear in a start or
 * stop closure, and the services that run their image reach them through their image instead,
 * because what a container needs from them is an image that exists before it is created, not a
 * running process.
 *
 * Orders are stable: among services whose dependencies are all placed, the one written first in
 * the compose file goes first. Images are compared as podman resolves them (`canonicalImage`:
 * `micropod/x` is `localhost/micropod/x:latest`).
 */
export interface DependencyGraph {
  /** Every service, in compose-file order. */
  readonly services: readonly string[];
  /** Direct dependencies with their conditions, as written (edges to unknown services left out). */
  dependencies(name: string): readonly Dependency[];
  /** Services with a direct depends_on edge to `name`, in compose-file order. */
  dependents(name: string): readonly string[];
  /** The conditions `name`'s dependents (those in `among`, when given) wait for, sorted. */
  awaitedConditions(name: string, among?: ReadonlySet<string>): DependencyCondition[];
  /** Every depends_on cycle, each once, as [a, b, ..., a] (the loader refuses them). */
  cycles(): string[][];
  /** All services (build-only ones included), dependencies before dependents. */
  topologicalOrder(): string[];
  /** Exactly the given services (build-only ones included), dependencies before dependents; edges to others ignored. */
  order(names: Iterable<string>): string[];
  /** The running services `names` need (them plus required dependencies, transitively), in start order. */
  startClosure(names: readonly string[]): string[];
  /** The running services `names` plus everything that depends on them, transitively, in stop order (dependents first). */
  stopClosure(names: readonly string[]): string[];
  /** The service whose `build:` produces `name`'s image (itself when it builds; the first written otherwise), if any. */
  imageBuilder(name: string): string | undefined;
  /** The service building the image `ref` names, if any. */
  builderOfImage(ref: string): string | undefined;
  /** The services building the images `name`'s build is FROM (itself left out), in compose-file order. */
  baseBuilders(name: string): string[];
  /** The builds the given services need: their image builders and, through FROM lines, those builds' bases; compose-file order. */
  buildClosure(names: readonly string[]): string[];
  /** Every FROM cycle among builds (an image built FROM itself through other builds), each once, as [a, b, ..., a]. */
  buildCycles(): string[][];
  /** Builds grouped so that each group needs only images of earlier groups: each build's depth in the FROM graph. */
  buildDepth(name: string): number;
  /**
   * The running services whose container runs `builder`'s image, or an image built FROM it
   * through any chain of builds (the bundled maintaindb builds FROM the template), compose-file order.
   */
  imageUsers(builder: string): string[];
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

/** What the graph knows of each build's Containerfile: the images its FROM lines name. */
export type BuildBases = Readonly<Record<string, { readonly bases: readonly string[] }>>;

/**
 * The graph of `suite` (a loaded Suite, or the loader's services before it is one). `builds`
 * adds the FROM edges: each building service's base images, as the engine reads them
 * (ObservedState.buildContexts).
 */
export function dependencyGraph(suite: Pick<Suite, "services">, builds: BuildBases = {}): DependencyGraph {
  return new SuiteGraph(suite.services, builds);
}

class SuiteGraph implements DependencyGraph {
  readonly services: readonly string[];
  private readonly index: ReadonlyMap<string, number>;
  private readonly deps = new Map<string, Dependency[]>();
  private readonly rdeps = new Map<string, string[]>();
  /** FROM edges: each build's base builders (itself left out). */
  private readonly bases = new Map<string, string[]>();

  constructor(
    private readonly byName: ReadonlyMap<string, Service>,
    builds: BuildBases,
  ) {
    this.services = [...byName.keys()];
    this.index = new Map(this.services.map((n, i) => [n, i]));
    for (const n of this.services) this.rdeps.set(n, []);
    for (const s of byName.values()) {
      const known = s.dependsOn.filter((d) => byName.has(d.service));
      this.deps.set(s.name, known);
      for (const d of known) this.rdeps.get(d.service)!.push(s.name);
    }
    for (const list of this.rdeps.values()) list.sort(this.byFileOrder);
    for (const s of byName.values()) {
      if (!s.build) continue;
      const from = (builds[s.name]?.bases ?? []).map((ref) => this.builderOfImage(ref)).filter((b): b is string => b !== undefined && b !== s.name);
      this.bases.set(s.name, [...new Set(from)].sort(this.byFileOrder));
    }
  }

  private readonly byFileOrder = (a: string, b: string): number => this.index.get(a)! - this.index.get(b)!;

  private need(name: string): Service {
    const s = this.byName.get(name);
    if (!s) throw new Error(`unknown service ${JSON.stringify(name)}`);
    return s;
  }

  private runs(name: string): boolean {
    return !this.byName.get(name)!.buildOnly;
  }

  private dependsOnNames = (n: string): string[] => this.deps.get(n)!.map((d) => d.service);

  dependencies(name: string): readonly Dependency[] {
    this.need(name);
    return this.deps.get(name)!;
  }

  dependents(name: string): readonly string[] {
    this.need(name);
    return this.rdeps.get(name)!;
  }

  awaitedConditions(name: string, among?: ReadonlySet<string>): DependencyCondition[] {
    const conditions = new Set<DependencyCondition>();
    for (const m of this.dependents(name)) {
      if (among && !among.has(m)) continue;
      for (const d of this.deps.get(m)!) if (d.service === name) conditions.add(d.condition);
    }
    return [...conditions].sort();
  }

  cycles(): string[][] {
    return findCycles(this.services, this.dependsOnNames);
  }

  topologicalOrder(): string[] {
    return this.sorted(new Set(this.services));
  }

  order(names: Iterable<string>): string[] {
    const set = new Set(names);
    set.forEach((n) => this.need(n));
    return this.sorted(set);
  }

  startClosure(names: readonly string[]): string[] {
    return this.sorted(this.reach(names, (n) => this.deps.get(n)!.filter((d) => d.required).map((d) => d.service)));
  }

  stopClosure(names: readonly string[]): string[] {
    return this.sorted(this.reach(names, (n) => this.rdeps.get(n)!)).reverse();
  }

  /** The running services reachable from `names` along `next`, build-only ones never entered. */
  private reach(names: readonly string[], next: (n: string) => readonly string[]): Set<string> {
    const set = new Set<string>();
    const add = (n: string): void => {
      this.need(n);
      if (set.has(n) || !this.runs(n)) return;
      set.add(n);
      next(n).forEach(add);
    };
    names.forEach(add);
    return set;
  }

  /** Kahn's algorithm over `subset`, edges restricted to it, ties broken by file order. */
  private sorted(subset: ReadonlySet<string>): string[] {
    const pending = new Map<string, number>();
    for (const n of subset) pending.set(n, this.deps.get(n)!.filter((d) => subset.has(d.service)).length);
    const out: string[] = [];
    const ready = [...subset].filter((n) => pending.get(n) === 0).sort(this.byFileOrder);
    while (ready.length > 0) {
      const n = ready.shift()!;
      out.push(n);
      for (const m of this.rdeps.get(n)!) {
        if (!subset.has(m)) continue;
        const left = pending.get(m)! - 1;
        pending.set(m, left);
        if (left === 0) {
          ready.push(m);
          ready.sort(this.byFileOrder);
        }
      }
    }
    if (out.length !== subset.size) {
      const stuck = [...subset].filter((n) => !out.includes(n));
      const [cycle] = findCycles(stuck, (n) => this.dependsOnNames(n).filter((d) => subset.has(d)));
      throw new Error(`dependency cycle: ${cycle!.join(" -> ")}`);
    }
    return out;
  }

  imageBuilder(name: string): string | undefined {
    const s = this.need(name);
    return s.build ? name : this.builderOfImage(s.image);
  }

  builderOfImage(ref: string): string | undefined {
    const image = canonicalImage(ref);
    return this.services.find((n) => {
      const s = this.byName.get(n)!;
      return s.build !== undefined && canonicalImage(s.image) === image;
    });
  }

  baseBuilders(name: string): string[] {
    this.need(name);
    return this.bases.get(name) ?? [];
  }

  buildClosure(names: readonly string[]): string[] {
    const set = new Set<string>();
    const add = (b: string): void => {
      if (set.has(b)) return;
      set.add(b);
      this.baseBuilders(b).forEach(add);
    };
    for (const n of names) {
      const b = this.imageBuilder(n);
      if (b) add(b);
    }
    return [...set].sort(this.byFileOrder);
  }

  buildCycles(): string[][] {
    return findCycles([...this.bases.keys()], (n) => this.bases.get(n)!);
  }

  buildDepth(name: string): number {
    const depth = (n: string, seen: ReadonlySet<string>): number => {
      if (seen.has(n)) throw new Error(`FROM cycle: ${[...seen, n].join(" -> ")}`);
      const next = new Set(seen).add(n);
      return Math.max(-1, ...this.baseBuilders(n).map((b) => depth(b, next))) + 1;
    };
    return depth(name, new Set());
  }

  imageUsers(builder: string): string[] {
    const images = new Set([canonicalImage(this.need(builder).image)]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [n, from] of this.bases) {
        const image = canonicalImage(this.byName.get(n)!.image);
        if (!images.has(image) && from.some((b) => images.has(canonicalImage(this.byName.get(b)!.image)))) {
          images.add(image);
          grew = true;
        }
      }
    }
    return this.services.filter((n) => this.runs(n) && images.has(canonicalImage(this.byName.get(n)!.image)));
  }

  criticalPath(readyAfterMs: (name: string) => number, names?: readonly string[]): CriticalPath {
    const subset = new Set(names ?? this.services.filter((n) => this.runs(n)));
    const startAt = new Map<string, number>();
    const via = new Map<string, string | undefined>();
    const readyAt = (n: string) => startAt.get(n)! + readyAfterMs(n);
    for (const n of this.sorted(subset)) {
      let start = 0;
      let from: string | undefined;
      for (const d of this.deps.get(n)!) {
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
  }
}

/**
 * The one cycle detector: every elementary cycle a depth-first walk from each node (in the order
 * given) finds, each once, as [a, b, ..., a]. `next` gives a node's successors among `nodes`.
 */
function findCycles(nodes: readonly string[], next: (n: string) => readonly string[]): string[][] {
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, "active");
    stack.push(name);
    for (const m of next(name)) {
      const st = state.get(m);
      if (st === "active") {
        const cycle = stack.slice(stack.indexOf(m));
        const key = [...cycle].sort().join("\u0000");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, m]);
        }
      } else if (st === undefined) visit(m);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of nodes) if (!state.has(name)) visit(name);
  return cycles;
}
