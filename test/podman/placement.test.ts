import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import type { Command } from "../../src/core/command.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import { startSuite, stopSuite } from "../../src/engine/start.js";
import { renderStatus, suiteStatus } from "../../src/engine/status.js";
import { execCommand, execService } from "../../src/ops/passthrough.js";
import { hasExited, readContainerList } from "../../src/podman/readers.js";
import type { Service, Suite } from "../../src/suite/model.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { type PodmanService, startPodmanService } from "../support/podman-service.js";
import { dep, health, service, suite } from "../support/make-suite.js";
import { tempDir } from "../support/temp.js";

/**
 * Two "hosts" on this machine: two `podman system service`s, each over its own sandbox (storage,
 * run root, network config, containers.conf), reached by unix socket URLs as a remote host is by
 * ssh. A small suite placed across them is started, started again, shown and stopped through
 * them only: no command of the engine may reach the machine's own podman.
 */
let one: PodmanSandbox;
let two: PodmanSandbox;
let oneService: PodmanService;
let twoService: PodmanService;
let root: string;

beforeAll(async () => {
  one = createPodmanSandbox();
  two = createPodmanSandbox();
  // Each host's storage gets the image before its service holds the storage.
  one.busyboxImage();
  two.busyboxImage();
  [oneService, twoService] = await Promise.all([startPodmanService(one), startPodmanService(two)]);
  root = tempDir("micropod-placement-");
}, 120_000);

/** Records every command; runs it for real. */
class RecordingRunner implements Runner {
  readonly commands: Command[] = [];
  private readonly inner = new ExecaRunner();
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    this.commands.push(c);
    return this.inner.run(c, opts);
  }
}

const IMAGE = "localhost/busybox:test";
const on = (host: string, s: Service): Service => ({ ...s, extensions: { ...s.extensions, host } });

/** db on two (healthy after ~1s) → migrate on local (one-shot) → app on local → worker on two. */
function placedSuite(): Suite {
  const p = { project: "placed", image: IMAGE };
  const s = suite(
    [
      on("two", service("db", { ...p, command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"], healthcheck: health(["CMD", "test", "-f", "/tmp/ready"], { intervalMs: 200, timeoutMs: 2000, retries: 10 }), stopGracePeriodMs: 2000 })),
      on("local", service("migrate", { ...p, dependsOn: [dep("db", "service_healthy")], command: ["sh", "-c", "sleep 0.3; exit 0"] })),
      on("local", service("app", { ...p, dependsOn: [dep("db", "service_healthy"), dep("migrate", "service_completed_successfully")], command: ["sleep", "1000"], stopGracePeriodMs: 1000 })),
      on("two", service("worker", { ...p, dependsOn: [dep("app")], command: ["sleep", "1000"], stopGracePeriodMs: 1000 })),
    ],
    { project: "placed", file: join(root, "compose.yaml") },
  );
  return {
    ...s,
    hosts: new Map([
      ["local", { name: "local", url: oneService.url }],
      ["two", { name: "two", url: twoService.url }],
    ]),
  };
}

const ctx = (runner: Runner) => ({ runner, clock: systemClock, logger: silentLogger(), signal: new AbortController().signal });
const paths = () => ({ lock: join(root, "state", "micropod.lock"), state: join(root, "state"), logs: join(root, "logs") });
/** The suite's containers in one sandbox's own storage, as `name state` lines. */
const containersIn = (sb: PodmanSandbox, url: string) =>
  readContainerList(sb.podman(["--url", url, "ps", "--all", "--format", "json", "--filter", "label=com.docker.compose.project=placed"]))
    .map((c) => `${c.name} ${hasExited(c.state) ? "exited" : c.state}`)
    .sort();

describe("a suite placed on two podman services", () => {
  it("starts in one dependency order across hosts, gated on readiness wherever the dependency runs; a second start does nothing; status shows hosts; stop runs in reverse across hosts", async () => {
    const s = placedSuite();
    const runner = new RecordingRunner();
    const { plan, report } = await startSuite(s, { vars: {} }, paths(), ctx(runner), { jobs: 2 });
    expect(plan.containers.map((c) => `${c.service}@${c.host}`)).toEqual(["db@two", "migrate@local", "app@local", "worker@two"]);

    // Every container is in its host's storage, and only there.
    expect(containersIn(one, oneService.url)).toEqual(["placed-app running", "placed-migrate exited"]);
    expect(containersIn(two, twoService.url)).toEqual(["placed-db running", "placed-worker running"]);
    // Gating across hosts: migrate (local) after db (two) is healthy; worker (two) after app (local) started.
    const r = report.ready;
    expect(r.migrate!.service_started!).toBeGreaterThanOrEqual(r.db!.service_healthy!);
    expect(r.app!.service_started!).toBeGreaterThanOrEqual(r.migrate!.service_completed_successfully!);
    expect(r.worker!.service_started!).toBeGreaterThanOrEqual(r.app!.service_started!);
    // The db's check ran on two, through two's service: its watcher, launched as it started.
    const watcher = plan.containers.find((c) => c.service === "db")!.readiness.watch!;
    expect(watcher.argv.slice(0, 5)).toEqual(["podman", "--url", twoService.url, "exec", "placed-db"]);
    expect(watcher.argv.slice(-3)).toEqual(["test", "-f", "/tmp/ready"]);
    expect(runner.commands).toContainEqual(watcher);
    // Nothing went to the machine's own podman.
    expect(runner.commands.filter((c) => c.argv[0] === "podman" && c.argv[1] !== "--url").map((c) => c.argv.join(" "))).toEqual([]);

    // A second start launches nothing on either host.
    const again = await startSuite(s, { vars: {} }, paths(), ctx(new RecordingRunner()), { jobs: 2 });
    expect(again.report.launched).toEqual([]);
    expect(again.plan.containers.map((c) => `${c.service} ${c.action}`)).toEqual(["db leave", "migrate leave", "app leave", "worker leave"]);

    // status: each service with its host, read from that host's podman.
    const rows = await suiteStatus(s, new RecordingRunner(), systemClock, paths().state);
    expect(rows.map((x) => `${x.host} ${x.service} ${x.state}`)).toEqual(["two db running", "local migrate exited", "local app running", "two worker running"]);
    expect(renderStatus(rows).split("\n")[0]).toMatch(/^HOST\s+SERVICE\s+STATE/);

    // exec reaches the container on its host: worker runs in two's storage only.
    const lines: string[] = [];
    const code = await execService({ runner: new RecordingRunner(), suite: s, logger: silentLogger() }, "worker", ["sh", "-c", "echo in-$HOSTNAME"], { tty: false, output: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(lines.join("")).toMatch(/^in-\w+/);
    expect((await execCommand({ runner: new RecordingRunner(), suite: s }, "worker", ["true"], { tty: false })).argv.slice(0, 4)).toEqual(["podman", "--url", twoService.url, "exec"]);

    // stop: dependents first across hosts (worker on two, then app on local, then db on two).
    const stopRunner = new RecordingRunner();
    const stopped = await stopSuite(s, paths(), ctx(stopRunner));
    const order = stopped.stopped.map((x) => x.service);
    expect(order).toEqual(["worker", "app", "db"]);
    expect(stopRunner.commands.filter((c) => c.argv.includes("stop")).map((c) => c.argv.slice(0, 3).join(" ") + " " + c.argv.at(-1))).toEqual([
      `podman --url ${twoService.url} placed-worker`,
      `podman --url ${oneService.url} placed-app`,
      `podman --url ${twoService.url} placed-db`,
    ]);
    expect(containersIn(one, oneService.url)).toEqual(["placed-app exited", "placed-migrate exited"]);
    expect(containersIn(two, twoService.url)).toEqual(["placed-db exited", "placed-worker exited"]);
  }, 180_000);
});
