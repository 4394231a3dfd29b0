import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import { type Command, renderCommand } from "../../../src/core/command.js";
import { CommandFailedError, InterruptedError, NotReadyError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { RunOptions, RunResult, Runner } from "../../../src/core/runner.js";
import { executeStart } from "../../../src/engine/execute.js";
import { type ObservedState, emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { dep, health, service, suite } from "../../support/make-suite.js";
import { tempDir } from "../../support/temp.js";

/**
 * executeStart against a scripted podman: every command answers at once (or as the test says), and
 * time passes only when the engine sleeps. What is asserted is what the engine guarantees whatever
 * the interleaving: what happens before what, what never runs, and which error ends the start.
 */
const logs = tempDir("micropod-execute-");

const build = (name: string) => ({ context: `/suite/${name}`, dockerfile: `/suite/${name}/Containerfile`, args: {} });
const demo = suite(
  [
    service("base", { build: build("base"), buildOnly: true }),
    service("db", { build: build("db"), healthcheck: health(["CMD", "ready"], { intervalMs: 1000, retries: 3 }), secrets: [{ source: "db_pass", target: "DB_PASS", type: "env" }], networks: [{ name: "net", aliases: [] }] }),
    service("migrate", { image: "localhost/demo/db", dependsOn: [dep("db", "service_healthy")] }),
    service("web", { image: "localhost/demo/base", dependsOn: [dep("db", "service_healthy"), dep("migrate", "service_completed_successfully")] }),
    service("proxy", { image: "docker.io/library/haproxy:2.9", dependsOn: [dep("web")] }),
  ],
  { networks: [{ name: "net", podmanName: "demo_net", external: false, ipv6: false, subnets: [] }], secrets: [{ name: "db_pass", environment: "DB_PASS" }] },
);
const observed: ObservedState = {
  ...emptyObservedState(),
  buildContexts: { base: { digest: "b", bases: [], files: 1 }, db: { digest: "d", bases: ["localhost/demo/base:latest"], files: 1 } },
};
const plan = planStart(demo, { vars: { DB_PASS: "a-long-db-password" } }, observed, { logDir: logs });

function fakeClock(): Clock {
  let t = 0;
  return { now: () => t, sleep: async (ms, signal) => (signal?.throwIfAborted(), void (t += ms)) };
}

/**
 * podman as a script: `answer` may override any command's result; otherwise probes pass (their
 * shell prints micropod-check-passed, as the real one does after a pass), waits report exit 0, a
 * watcher ends without a pass as the real loop does past its rounds (exit 3, nothing printed),
 * and the rest succeed silently.
 */
function scripted(answer: (line: string, opts: RunOptions) => RunResult | undefined = () => undefined) {
  const calls: string[] = [];
  const runner: Runner = {
    async run(c: Command, opts: RunOptions = {}): Promise<RunResult> {
      const line = renderCommand(c).replace(/MICROPOD_SECRET_VALUE=\S+ /, "");
      calls.push(line);
      await Promise.resolve();
      const stdout = line.startsWith("podman wait ") ? "0\n" : line.includes(" micropod-probe ") ? "micropod-check-passed\n" : "";
      const r = answer(line, opts) ?? { exitCode: line.includes(" micropod-watch ") ? 3 : 0, stdout, stderr: "" };
      if (r.exitCode !== 0 && !opts.allowFailure) throw new CommandFailedError(line, r);
      return r;
    },
  };
  const at = (prefix: string) => calls.findIndex((l) => l.startsWith(prefix));
  return { runner, calls, at };
}

const deps = (runner: Runner, signal = new AbortController().signal) => ({ runner, clock: fakeClock(), logger: silentLogger(), signal, jobs: 2 });

describe("executeStart", () => {
  it("runs every step once, each after what it needs: FROM order, create before readiness, start after each condition", async () => {
    const { runner, calls, at } = scripted();
    const report = await executeStart(plan, deps(runner));
    expect(report.built.sort()).toEqual(["base", "db"]);
    expect(report.launched.map((l) => `${l.service}:${l.action}`).sort()).toEqual(["db:create", "migrate:create", "proxy:create", "web:create"]);
    expect(Object.keys(report.ready).sort()).toEqual(["db", "migrate", "proxy", "web"]);
    for (const l of ["podman network create", "podman secret create", "podman pull docker.io/library/haproxy:2.9", "podman start demo-web"]) expect(calls.filter((c) => c.startsWith(l))).toHaveLength(1);
    expect(at("podman network create")).toBeLessThan(at("podman pull"));
    expect(at("podman secret create")).toBeLessThan(at("podman build"));
    expect(at("podman build --file /suite/base/")).toBeLessThan(at("podman build --file /suite/db/"));
    expect(at("podman build --file /suite/db/")).toBeLessThan(at("podman create --name demo-db"));
    expect(at("podman build --file /suite/base/")).toBeLessThan(at("podman create --name demo-web"));
    expect(at(`podman exec demo-db /bin/sh -c '"$@" && echo micropod-check-passed' micropod-probe ready`)).toBeLessThan(at("podman start demo-migrate"));
    expect(at("podman wait demo-migrate")).toBeLessThan(at("podman start demo-web"));
    expect(at("podman start demo-web")).toBeLessThan(at("podman start demo-proxy"));
  });

  it("creates ahead of need only while nothing that can start now is being created or started", async () => {
    // Every command takes a little time, so what runs side by side shows.
    const inFlight = new Set<string>();
    const beside: Record<string, string[]> = {};
    const { runner } = scripted();
    const timed: Runner = {
      async run(c, opts) {
        const line = renderCommand(c);
        if (line.startsWith("podman create --name ")) beside[line.split(" ")[3]!] = [...inFlight];
        inFlight.add(line);
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await runner.run(c, opts);
        } finally {
          inFlight.delete(line);
        }
      },
    };
    await executeStart(plan, deps(timed));
    // db could start once its image was built: created and started at once. migrate, web and proxy
    // wait on db or web: created ahead of need, never beside db's create or start.
    expect(Object.keys(beside).sort()).toEqual(["demo-db", "demo-migrate", "demo-proxy", "demo-web"]);
    for (const ahead of ["demo-migrate", "demo-proxy", "demo-web"]) {
      expect(beside[ahead]!.filter((l) => l.startsWith("podman create --name demo-db") || l.startsWith("podman start demo-db")), ahead).toEqual([]);
    }
  });

  it("a failed build is the error; nothing on its image starts, and what needs them is not started either", async () => {
    const { runner, calls } = scripted((l) => (l.startsWith("podman build --file /suite/db/") ? { exitCode: 1, stdout: "", stderr: "step 2 failed\n" } : undefined));
    const err = (await executeStart(plan, deps(runner)).catch((e: unknown) => e)) as CommandFailedError;
    expect(err).toBeInstanceOf(CommandFailedError);
    expect(err.details).toEqual([`building db failed; last lines of ${join(logs, "build-db.log")}:`, "step 2 failed"]);
    expect(calls.filter((c) => c.startsWith("podman start") || c.startsWith("podman create --name demo-db") || c.startsWith("podman create --name demo-migrate"))).toEqual([]);
  });

  it("a healthcheck that never passes is the error, naming the service; its dependents are never started", async () => {
    const { runner, calls } = scripted((l) => (l.startsWith("podman exec demo-db") ? { exitCode: 1, stdout: "", stderr: "not yet" } : undefined));
    const err = (await executeStart(plan, deps(runner)).catch((e: unknown) => e)) as NotReadyError;
    expect(err).toBeInstanceOf(NotReadyError);
    expect(err.message).toMatch(/^db is not healthy after [\d.]+s: healthcheck `ready` failed 3 times \(exit 1: not yet\)$/);
    expect(calls.filter((c) => c.startsWith("podman start"))).toEqual(["podman start demo-db"]);
  });

  it("Ctrl-C while a probe runs: the probe is cut, nothing more starts, and the start ends interrupted naming what did not start", async () => {
    const ctrlC = new AbortController();
    const { runner, calls } = scripted((l, opts) => {
      if (!l.startsWith("podman exec demo-db")) return undefined;
      expect(opts.signal?.aborted).toBe(false);
      ctrlC.abort(new InterruptedError("interrupted by SIGINT"));
      expect(opts.signal?.aborted).toBe(true); // the probe's signal is the caller's: podman exec is killed
      return { exitCode: 143, stdout: "", stderr: "" };
    });
    const err = (await executeStart(plan, deps(runner, ctrlC.signal)).catch((e: unknown) => e)) as InterruptedError;
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.message).toBe("start interrupted; not started: migrate, web, proxy");
    // The watcher, launched the moment db started (probes from outside wait for the first that counts); nothing after Ctrl-C.
    expect(calls.filter((c) => c.startsWith("podman exec")).map((c) => (c.includes("micropod-watch") ? "watcher" : "probe"))).toEqual(["watcher"]);
    expect(calls.filter((c) => c.startsWith("podman start"))).toEqual(["podman start demo-db"]);
  });
});
