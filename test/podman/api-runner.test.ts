import { createServer, type Server, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import type { Command } from "../../src/core/command.js";
import { CommandFailedError } from "../../src/core/errors.js";
import { createLogger, silentLogger } from "../../src/core/logger.js";
import type { RunResult, Runner } from "../../src/core/runner.js";
import { startSuite, stopSuite } from "../../src/engine/start.js";
import { PodmanApiRunner, type PodmanPath } from "../../src/podman/api-runner.js";
import { PODMAN_SOCKET_VARIABLE, podmanRunner } from "../../src/podman/api-socket.js";
import { execInContainer, inspectContainer, listContainers, startContainer, stopContainers } from "../../src/podman/container.js";
import { listImages, podmanVersion } from "../../src/podman/image.js";
import { listNetworks } from "../../src/podman/network.js";
import { hasExited, readContainerInspect, readContainerList, readImageList, readNames, readSecretInspect } from "../../src/podman/readers.js";
import { inspectSecrets, listSecrets } from "../../src/podman/secret.js";
import type { Suite } from "../../src/suite/model.js";
import { deferCleanup } from "../support/cleanup.js";
import { dep, health, service, suite } from "../support/make-suite.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { startPodmanService } from "../support/podman-service.js";
import { tempDir } from "../support/temp.js";
import { SandboxRunner } from "./engine-support.js";

/**
 * The API runner against the CLI on one sandbox: `podman system service` over the sandbox's
 * storage, the CLI with the sandbox's configuration, so both see the same containers.
 */
let sb: PodmanSandbox;
let socket: string;
let root: string;
const IMAGE = "localhost/busybox:test";
const LOOP = "trap 'exit 0' TERM; while :; do sleep 60 & wait $!; done";

beforeAll(async () => {
  sb = createPodmanSandbox();
  sb.busyboxImage();
  socket = (await startPodmanService(sb)).url.replace(/^unix:\/\//, "");
  root = tempDir("micropod-api-");
}, 120_000);

/** The API runner over the sandbox's CLI, counting which way each command went. */
function apiRunner() {
  const cli = new SandboxRunner(sb);
  const paths: Array<`${PodmanPath} ${string}`> = [];
  const runner = new PodmanApiRunner(cli, socket, { onPath: (p, c) => paths.push(`${p} ${c.argv.slice(1, 3).join(" ")}`) });
  return { runner, cli, paths };
}

const outcome = (r: RunResult) => ({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
const both = async (c: Command, api: Runner, cli: Runner) => [outcome(await api.run(c, { allowFailure: true })), outcome(await cli.run(c, { allowFailure: true }))];

describe("PodmanApiRunner against the CLI, on real podman", () => {
  it("start, stop, ps, inspect and exec: the same results either way, over the socket", async () => {
    for (const n of ["par-a", "par-b"]) sb.podman(["create", "--name", n, "--label", "suite=par", "--network", "none", IMAGE, "sh", "-c", LOOP]);
    const { runner, cli, paths } = apiRunner();

    // A missing container: podman's own message, exit 125, both ways.
    const [apiMissing, cliMissing] = await both(startContainer("par-none"), runner, cli);
    expect(apiMissing).toEqual({ exitCode: 125, stdout: "", stderr: 'Error: no container with name or ID "par-none" found: no such container\n' });
    expect(cliMissing).toEqual(apiMissing);
    expect(await both(stopContainers(["par-none"], 1), runner, cli)).toEqual([apiMissing, apiMissing]);

    // exec on a container that is not running: podman refuses (125 over the API; 4.3.1's CLI says 255).
    const notRunning = await runner.run(execInContainer("par-a", ["true"]), { allowFailure: true });
    expect(notRunning).toEqual({ exitCode: 125, stdout: "", stderr: "Error: can only create exec sessions on running containers: container state improper\n" });
    expect((await cli.run(execInContainer("par-a", ["true"]), { allowFailure: true })).exitCode).toBeGreaterThanOrEqual(125);

    expect(outcome(await runner.run(startContainer("par-a")))).toEqual({ exitCode: 0, stdout: "par-a\n", stderr: "" });
    expect(outcome(await cli.run(startContainer("par-b")))).toEqual({ exitCode: 0, stdout: "par-b\n", stderr: "" });
    // Already running: nothing to do, not a failure, and nothing printed (the API's 304).
    expect(await both(startContainer("par-a"), runner, cli)).toEqual([
      { exitCode: 0, stdout: "", stderr: "" },
      { exitCode: 0, stdout: "", stderr: "" },
    ]);

    // ps and inspect: what the readers make of each is the same.
    const list = listContainers({ suite: "par" });
    const [apiList, cliList] = await both(list, runner, cli);
    expect(readContainerList(apiList!.stdout).map((c) => `${c.name} ${c.state}`).sort()).toEqual(["par-a running", "par-b running"]);
    expect(readContainerList(apiList!.stdout)).toEqual(readContainerList(cliList!.stdout));
    const [apiInspect, cliInspect] = await both(inspectContainer("par-a", "par-b"), runner, cli);
    expect(readContainerInspect(apiInspect!.stdout)).toEqual(readContainerInspect(cliInspect!.stdout));
    expect(readContainerInspect(apiInspect!.stdout).map((c) => `${c.name} ${c.running}`)).toEqual(["par-a true", "par-b true"]);
    const [apiGone] = await both(inspectContainer("par-none"), runner, cli);
    expect(apiGone!.exitCode).toBe(125);

    // exec: output split into stdout and stderr, the check's own exit code; env and user passed.
    const check = execInContainer("par-a", ["sh", "-c", 'echo "out $GREETING $(id -u)"; echo err >&2; exit 3'], { env: { GREETING: "hi" }, user: "65534" });
    const [apiExec, cliExec] = await both(check, runner, cli);
    expect(apiExec).toEqual({ exitCode: 3, stdout: "out hi 65534\n", stderr: "err\n" });
    expect(cliExec).toEqual(apiExec);
    const missingProgram = await runner.run(execInContainer("par-a", ["no-such-program"]), { allowFailure: true });
    expect(missingProgram.exitCode).toBe(127);
    expect(missingProgram.stderr).toContain('"no-such-program": executable file not found');
    // Without allowFailure, the same error the CLI runner throws.
    const [apiErr, cliErr] = await Promise.all([runner.run(check).catch((e: unknown) => e), cli.run(check).catch((e: unknown) => e)]);
    expect(apiErr).toBeInstanceOf(CommandFailedError);
    // (the CLI's names the sandbox's environment, which the test's CLI runner adds)
    expect((apiErr as CommandFailedError).message).toBe(`command failed with exit code 3: podman exec --env GREETING=hi --user 65534 par-a sh -c 'echo "out $GREETING $(id -u)"; echo err >&2; exit 3'`);
    expect((cliErr as CommandFailedError).message.replace(/CONTAINERS_CONF=\S+ CONTAINERS_STORAGE_CONF=\S+ TMPDIR=\S+ /, "")).toBe((apiErr as CommandFailedError).message);
    expect([(apiErr as CommandFailedError).details, (cliErr as CommandFailedError).details]).toEqual([["err"], ["err"]]);

    // The CLI prints each name as its stop ends (side by side: either order); the API runner in argument order.
    const sortedLines = (r: RunResult) => ({ ...r, stdout: r.stdout.split("\n").sort().join("\n") });
    expect((await both(stopContainers(["par-a", "par-b"], 5), runner, cli)).map(sortedLines)).toEqual([
      { exitCode: 0, stdout: "\npar-a\npar-b", stderr: "" },
      { exitCode: 0, stdout: "\npar-a\npar-b", stderr: "" },
    ]);
    expect(readContainerList(sb.podman(["ps", "--all", "--format", "json", "--filter", "label=suite=par"])).map((c) => hasExited(c.state))).toEqual([true, true]);
    // Every one of these went over the socket; the CLI runner saw only the comparison runs.
    expect(paths).toEqual([
      "api start par-none",
      "api stop --time",
      "api exec par-a",
      "api start par-a",
      "api start par-a",
      "api ps --all",
      "api container inspect",
      "api container inspect",
      "api exec --env",
      "api exec par-a",
      "api exec --env",
      "api stop --time",
    ]);
  }, 120_000);

  it("what observe reads (version, images, networks, secrets and their labels): the same either way, over the socket", async () => {
    sb.podman(["network", "create", "obs-net"]);
    writeFileSync(join(root, "obs-secret"), "value");
    sb.podman(["secret", "create", "--label", "fingerprint=f1", "obs-secret", join(root, "obs-secret")]);
    const { runner, cli, paths } = apiRunner();
    const [apiVersion, cliVersion] = await both(podmanVersion(), runner, cli);
    expect(apiVersion!.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(apiVersion).toEqual(cliVersion);
    const [apiImages, cliImages] = await both(listImages(), runner, cli);
    expect(readImageList(apiImages!.stdout).flatMap((i) => i.names)).toContain(IMAGE);
    expect(readImageList(apiImages!.stdout)).toEqual(readImageList(cliImages!.stdout));
    for (const list of [listNetworks(), listSecrets()]) {
      const [api, viaCli] = await both(list, runner, cli);
      expect(readNames(api!.stdout).sort()).toEqual(readNames(viaCli!.stdout).sort());
    }
    const [apiNets] = await both(listNetworks(), runner, cli);
    expect(readNames(apiNets!.stdout)).toContain("obs-net");
    const [apiSecrets, cliSecrets] = await both(inspectSecrets("obs-secret"), runner, cli);
    expect(readSecretInspect(apiSecrets!.stdout)).toMatchObject([{ name: "obs-secret", labels: { fingerprint: "f1" } }]);
    expect(readSecretInspect(apiSecrets!.stdout)).toEqual(readSecretInspect(cliSecrets!.stdout));
    expect(apiSecrets!.stdout).not.toContain("value");
    // A missing secret: podman's own message and 125, both ways.
    const [apiMissing, cliMissing] = await both(inspectSecrets("obs-none"), runner, cli);
    expect(apiMissing).toEqual({ exitCode: 125, stdout: "[]\n", stderr: 'Error: inspecting secret: no secret with name or id "obs-none": no such secret\n' });
    expect(cliMissing).toEqual(apiMissing);
    expect(paths).toEqual([
      "api version --format",
      "api images --format",
      "api network ls",
      "api secret ls",
      "api network ls",
      "api secret inspect",
      "api secret inspect",
    ]);
    sb.podman(["secret", "rm", "obs-secret"]);
    sb.podman(["network", "rm", "obs-net"]);
  }, 120_000);

  it("a timeout or an abort mid-exec ends the call within its deadline, as the CLI runner's does", async () => {
    sb.podman(["run", "--detach", "--name", "cut", "--network", "none", IMAGE, "sh", "-c", LOOP]);
    const { runner } = apiRunner();
    const sleep = execInContainer("cut", ["sleep", "30"]);
    let t0 = Date.now();
    const timedOut = await runner.run(sleep, { allowFailure: true, timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(timedOut).toEqual({ exitCode: 143, stdout: "", stderr: "Command timed out after 500 milliseconds: podman exec cut sleep 30" });

    const abort = new AbortController();
    t0 = Date.now();
    setTimeout(() => abort.abort(new Error("enough")), 500);
    const aborted = await runner.run(sleep, { allowFailure: true, signal: abort.signal });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(aborted.exitCode).toBe(143);
    // The runner is still usable afterwards: the cut connections did not wedge the service.
    expect(outcome(await runner.run(execInContainer("cut", ["echo", "still"])))).toEqual({ exitCode: 0, stdout: "still\n", stderr: "" });
  }, 60_000);
});

describe("a suite started and stopped through the API runner and through the CLI", () => {
  const demo = (project: string): Suite => {
    const p = { project, image: IMAGE };
    return suite(
      [
        service("db", { ...p, command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"], healthcheck: health(["CMD", "test", "-f", "/tmp/ready"], { intervalMs: 200, timeoutMs: 2000, retries: 10 }), stopGracePeriodMs: 2000 }),
        service("migrate", { ...p, dependsOn: [dep("db", "service_healthy")], command: ["sh", "-c", "sleep 0.3; exit 0"] }),
        service("app", { ...p, dependsOn: [dep("db", "service_healthy"), dep("migrate", "service_completed_successfully")], command: ["sleep", "1000"], stopGracePeriodMs: 1000 }),
      ],
      { project, file: join(root, project, "compose.yaml") },
    );
  };
  const ctx = (runner: Runner) => ({ runner, clock: systemClock, logger: silentLogger(), signal: new AbortController().signal });
  const paths = (project: string) => ({ lock: join(root, project, "micropod.lock"), state: join(root, project, "state"), logs: join(root, project, "logs") });
  const states = (project: string) =>
    readContainerList(sb.podman(["ps", "--all", "--format", "json", "--filter", `label=com.docker.compose.project=${project}`]))
      .map((c) => `${c.name.slice(project.length + 1)} ${hasExited(c.state) ? "exited" : c.state}`)
      .sort();

  it("ends in the same states, a second start leaves everything, and the hot path went over the socket", async () => {
    const results: Record<string, unknown[]> = {};
    for (const way of ["api", "cli"] as const) {
      const project = `way${way}`;
      const { runner, cli, paths: taken } = apiRunner();
      const r = way === "api" ? runner : cli;
      const { plan } = await startSuite(demo(project), { vars: {} }, paths(project), ctx(r), { jobs: 2 });
      const started = states(project);
      const again = await startSuite(demo(project), { vars: {} }, paths(project), ctx(r), { jobs: 2 });
      const stopped = await stopSuite(demo(project), paths(project), ctx(r));
      results[way] = [plan.containers.map((c) => `${c.service} ${c.action}`), started, again.report.launched, stopped.stopped.map((s) => s.service), states(project)];
      if (way === "api") {
        const over = (p: PodmanPath, verb: string) => taken.filter((t) => t.startsWith(`${p} ${verb}`)).length;
        // ps and images (observe), start, exec (probes and the watcher), stop: over the socket, never forked.
        for (const verb of ["ps", "images", "start", "exec", "stop"]) {
          expect(over("api", verb), verb).toBeGreaterThan(0);
          expect(over("cli", verb), verb).toBe(0);
        }
        // What the API runner does not do (create, wait) still forked.
        expect(over("cli", "create")).toBe(3);
      }
    }
    expect(results.api).toEqual([
      ["db create", "migrate create", "app create"],
      ["app running", "db running", "migrate exited"],
      [],
      ["app", "db"],
      ["app exited", "db exited", "migrate exited"],
    ]);
    expect(results.cli).toEqual(results.api);
  }, 180_000);
});

describe("choosing the socket or the CLI", () => {
  /** The choice podmanRunner makes, the path its first hot-path command took and what it logged. */
  async function choice(env: NodeJS.ProcessEnv) {
    const lines: string[] = [];
    const destination = { write: (s: string) => (lines.push((JSON.parse(s) as { msg: string }).msg), true) } as unknown as NodeJS.WritableStream;
    const logger = createLogger({ json: true, level: "debug", destination });
    const taken: PodmanPath[] = [];
    const runner = podmanRunner(new SandboxRunner(sb), { logger, env, onPath: (p) => taken.push(p) });
    const t0 = Date.now();
    const r = await runner.run(listContainers({ suite: "none" }));
    return { taken, lines, ms: Date.now() - t0, stdout: r.stdout.trim() };
  }

  it("uses the socket that answers its ping", async () => {
    const c = await choice({ [PODMAN_SOCKET_VARIABLE]: `unix://${socket}` });
    expect(c).toMatchObject({ taken: ["api"], lines: [`podman: start, stop, ps, inspect, exec and what a start observes go over the API socket ${socket}`], stdout: "[]" });
  });

  it("forks the CLI, saying why, when the variable is empty, the socket is missing, or it does not answer", async () => {
    expect(await choice({ [PODMAN_SOCKET_VARIABLE]: "" })).toMatchObject({ taken: ["cli"], lines: [`podman: forking the CLI per command, not using the API socket (${PODMAN_SOCKET_VARIABLE} is empty)`], stdout: "[]" });
    const missing = join(root, "no.sock");
    expect(await choice({ [PODMAN_SOCKET_VARIABLE]: missing })).toMatchObject({ taken: ["cli"], lines: [`podman: forking the CLI per command, not using the API socket (${missing}: ENOENT)`], stdout: "[]" });

    // A socket that accepts and never answers: the ping's deadline (1 s), then the CLI.
    const silent = join(root, "silent.sock");
    const held = new Set<Socket>();
    const server: Server = createServer((s) => held.add(s.resume()));
    await new Promise<void>((r) => server.listen(silent, r));
    deferCleanup("silent socket", () => new Promise((r) => (held.forEach((s) => s.destroy()), server.close(r))));
    const c = await choice({ [PODMAN_SOCKET_VARIABLE]: silent });
    expect(c).toMatchObject({ taken: ["cli"], lines: ["podman: forking the CLI per command, not using the API socket (no answer to GET /_ping within 1000 ms)"], stdout: "[]" });
    expect(c.ms).toBeLessThan(5000);
  });
});
