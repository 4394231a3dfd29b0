import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { dependencyGraph } from "../../../src/suite/graph.js";
import { observeFiles } from "../../../src/engine/observe.js";
import { loadSuite } from "../../../src/suite/load.js";
import type { Dependency, Suite } from "../../../src/suite/model.js";
import { service, suite } from "../../support/make-suite.js";
import { sampleVars } from "./vars.js";

const bundled = resolve(import.meta.dirname, "../../../containerfiles/compose.yaml");

/** A suite of bare services: `deps` maps a service to "name:condition[?]" (? = required: false). */
function suiteOf(deps: Record<string, string[]>, buildOnly: string[] = []): Suite {
  const conditions: Record<string, Dependency["condition"]> = {
    started: "service_started",
    healthy: "service_healthy",
    completed: "service_completed_successfully",
  };
  const services = Object.entries(deps).map(([name, list]) =>
    service(name, {
      project: "t",
      image: `localhost/test/${buildOnly.includes(name) ? name : "app"}`,
      buildOnly: buildOnly.includes(name),
      containerName: `t-${name}`,
      dependsOn: list.map((d) => {
        const [on, cond] = d.replace("?", "").split(":") as [string, string];
        return { service: on, condition: conditions[cond]!, required: !d.endsWith("?") };
      }),
    }),
  );
  return suite(services, { project: "t", file: "/t/compose.yaml" });
}

describe("dependencyGraph", () => {
  const g = dependencyGraph(
    suiteOf({
      proxy: ["web:healthy", "media:started"],
      web: ["db:healthy", "migrate:completed", "metrics:started?"],
      migrate: ["db:healthy"],
      db: [],
      media: [],
      metrics: [],
      worker: ["db:healthy", "migrate:completed"],
    }),
  );

  test("edges both ways", () => {
    expect(g.dependencies("web").map((d) => `${d.service}:${d.condition}:${d.required}`)).toEqual([
      "db:service_healthy:true",
      "migrate:service_completed_successfully:true",
      "metrics:service_started:false",
    ]);
    expect(g.dependents("db")).toEqual(["web", "migrate", "worker"]);
    expect(g.dependents("proxy")).toEqual([]);
    expect(() => g.dependents("nope")).toThrow('unknown service "nope"');
  });

  test("topological order is stable: file order among the ready", () => {
    expect(g.topologicalOrder()).toEqual(["db", "migrate", "media", "metrics", "web", "proxy", "worker"]);
  });

  test("order of a selection: only those services, dependencies first, file order among the ready", () => {
    // proxy depends on nothing selected: file order puts it first; worker waits for db.
    expect(g.order(["worker", "proxy", "db"])).toEqual(["proxy", "db", "worker"]);
    expect(g.order(new Set(["web", "metrics", "migrate"]))).toEqual(["migrate", "metrics", "web"]);
    expect(g.order([])).toEqual([]);
    expect(() => g.order(["db", "nope"])).toThrow('unknown service "nope"');
  });

  test("start closure: required dependencies only, in start order", () => {
    expect(g.startClosure(["proxy"])).toEqual(["db", "migrate", "web", "media", "proxy"]);
    expect(g.startClosure(["worker"])).toEqual(["db", "migrate", "worker"]);
    // An optional dependency that is selected is still ordered before its dependent.
    expect(g.startClosure(["web", "metrics"])).toEqual(["db", "migrate", "metrics", "web"]);
  });

  test("stop closure: the services plus their dependents, dependents first", () => {
    expect(g.stopClosure(["db"])).toEqual(["worker", "proxy", "web", "migrate", "db"]);
    expect(g.stopClosure(["metrics"])).toEqual(["proxy", "web", "metrics"]);
    expect(g.stopClosure(["proxy"])).toEqual(["proxy"]);
  });

  test("critical path: healthy/completed edges wait for readiness, started edges do not", () => {
    const ready: Record<string, number> = { db: 3000, migrate: 2000, web: 5000, proxy: 500, media: 100, metrics: 50, worker: 1000 };
    expect(g.criticalPath((n) => ready[n]!)).toEqual({ totalMs: 10_500, path: ["db", "migrate", "web", "proxy"] });
    const slowMedia: Record<string, number> = { ...ready, media: 60_000 };
    // proxy waits only for media to start, so media's readiness ends the makespan by itself.
    expect(g.criticalPath((n) => slowMedia[n]!)).toEqual({ totalMs: 60_000, path: ["media"] });
    expect(g.criticalPath((n) => ready[n]!, ["db", "worker"])).toEqual({ totalMs: 4000, path: ["db", "worker"] });
  });

  test("awaited conditions: what a service's dependents wait for, among a selection when given", () => {
    expect(g.awaitedConditions("db")).toEqual(["service_healthy"]);
    expect(g.awaitedConditions("migrate")).toEqual(["service_completed_successfully"]);
    expect(g.awaitedConditions("web", new Set(["worker"]))).toEqual([]);
    expect(g.awaitedConditions("proxy")).toEqual([]);
  });

  test("cycles: each once, as found from the first service; an order over one names it", () => {
    const c = dependencyGraph(suiteOf({ a: ["b:started"], b: ["c:started"], c: ["a:started"], d: ["d:started"], e: ["a:started"] }));
    expect(c.cycles()).toEqual([
      ["a", "b", "c", "a"],
      ["d", "d"],
    ]);
    expect(() => c.order(["e", "a", "b", "c"])).toThrow("dependency cycle: a -> b -> c -> a");
    expect(g.cycles()).toEqual([]);
  });

  test("build-only services: in the graph, never started or stopped, reached through their image", () => {
    const t = dependencyGraph(suiteOf({ template: [], app: [], worker: ["app:started"] }, ["template"]));
    expect(t.topologicalOrder()).toEqual(["template", "app", "worker"]);
    expect(t.startClosure(["template", "worker"])).toEqual(["app", "worker"]);
    expect(t.stopClosure(["template"])).toEqual([]);
  });
});

describe("the bundled suite's graph", async () => {
  const suite = await loadSuite(bundled, sampleVars);
  const g = dependencyGraph(suite);

  test("start order", () => {
    expect(g.startClosure(g.services)).toEqual([
      "postgresql",
      "redis",
      "opensearch",
      "maintaindb",
      "sidekiq-ingress-1",
      "sidekiq-ingress-2",
      "sidekiq-pull",
      "sidekiq-push",
      "sidekiq-default",
      "sidekiq-scheduler",
      "web",
      "streaming",
      "nginx",
      "nginx-media",
      "varnish",
      "haproxy",
    ]);
  });

  test("starting haproxy brings the whole request path, and stopping postgresql everything on it", () => {
    expect(g.startClosure(["haproxy"])).toEqual(["postgresql", "redis", "maintaindb", "web", "streaming", "nginx", "nginx-media", "varnish", "haproxy"]);
    expect(g.stopClosure(["postgresql"])).toEqual([
      "haproxy",
      "varnish",
      "nginx",
      "streaming",
      "web",
      "sidekiq-scheduler",
      "sidekiq-default",
      "sidekiq-push",
      "sidekiq-pull",
      "sidekiq-ingress-2",
      "sidekiq-ingress-1",
      "maintaindb",
      "postgresql",
    ]);
  });

  test("with the FROM lines of its Containerfiles: build closure, bases, depths, and who runs an image built FROM the template", async () => {
    const f = dependencyGraph(suite, (await observeFiles(suite)).buildContexts);
    expect(f.baseBuilders("mastodon")).toEqual(["base-toolchain"]);
    expect(f.baseBuilders("maintaindb")).toEqual(["mastodon"]);
    expect(f.buildClosure(["web"])).toEqual(["base-toolchain", "mastodon"]);
    expect(f.buildClosure(["maintaindb"])).toEqual(["base-toolchain", "maintaindb", "mastodon"]);
    expect(["base", "postgresql", "mastodon", "maintaindb"].map((n) => f.buildDepth(n))).toEqual([0, 1, 1, 2]);
    expect(f.buildCycles()).toEqual([]);
    expect(f.builderOfImage("micropod/mastodon")).toBe("mastodon");
    // Without the FROM lines only the same image counts; with them maintaindb, built FROM the template, does too.
    expect(g.imageUsers("mastodon")).toEqual(["sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler", "web", "streaming"]);
    expect(f.imageUsers("mastodon")).toEqual(["maintaindb", ...g.imageUsers("mastodon")]);
  });

  test("the services running the template image need the mastodon build", () => {
    expect(g.imageBuilder("sidekiq-pull")).toBe("mastodon");
    expect(g.imageBuilder("postgresql")).toBe("postgresql");
    expect(g.buildClosure(g.startClosure(["web"]))).toEqual(["postgresql", "redis", "maintaindb", "mastodon"]);
    expect(g.buildClosure(g.services)).toEqual([
      "base",
      "base-toolchain",
      "postgresql",
      "redis",
      "opensearch",
      "maintaindb",
      "mastodon",
      "nginx",
      "nginx-media",
      "varnish",
      "haproxy",
    ]);
  });
});
