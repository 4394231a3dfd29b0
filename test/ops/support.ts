import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Command } from "../../src/core/command.js";
import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { Redactor } from "../../src/core/redact.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import type { OpsContext } from "../../src/ops/context.js";
import { emptyObservedState } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { waitHealthy } from "../../src/engine/readiness.js";
import type { Service, Suite } from "../../src/suite/model.js";
import { service as baseService } from "../support/make-suite.js";
import type { PodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";

/** Every command runs against the sandbox's podman; every argv is recorded for assertions. */
export class SandboxRunner implements Runner {
  readonly calls: string[][] = [];
  private readonly inner: ExecaRunner;
  constructor(private readonly env: Record<string, string>, redactor?: Redactor) {
    this.inner = new ExecaRunner(redactor);
  }
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    this.calls.push([...c.argv]);
    return this.inner.run({ ...c, env: { ...this.env, ...(c.env ?? {}) } }, opts);
  }
}

/** A service of the ops tests: the sandbox's busybox image, host networking, mastodon-<name>. */
export function service(name: string, over: Partial<Service> = {}): Service {
  return baseService(name, { project: "mastodon", image: "localhost/busybox:test", networkMode: "host", ...over });
}

export function suiteOf(file: string, services: Service[]): Suite {
  return { project: "mastodon", file, services: new Map(services.map((s) => [s.name, s])), networks: new Map(), volumes: new Map(), secrets: new Map() };
}

/** A log destination the test can read back (to scan for leaked secrets). */
export function logBuffer(redactor: Redactor) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ json: true, redactor, destination }), text: () => chunks.join("") };
}

export const pgBin = "/usr/lib/postgresql/15/bin";

/**
 * A fresh PostgreSQL 15 cluster owned by the postgres user in a temp dir, trust auth on the
 * socket only, and the postgresql service that runs it in a container on the host's userland.
 * Like the bundled image (no USER; its entrypoint drops to postgres itself), the container runs
 * as root and the server as postgres, so files `podman cp` puts in belong to root as in production.
 */
export function newCluster(root: string, port: number, name: string): { service: Service; run: string[] } {
  requireTool(`${pgBin}/postgres`, "postgresql-15");
  const dir = join(root, name);
  const sock = join(dir, "sock");
  mkdirSync(sock, { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(dir, 0o755);
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(dir, uid, gid);
  chownSync(sock, uid, gid);
  execFileSync("runuser", ["-u", "postgres", "--", `${pgBin}/initdb`, "-D", join(dir, "data"), "-A", "trust", "-U", "postgres"], { stdio: "ignore" });
  const env = { PGHOST: sock, PGPORT: String(port), PATH: `${pgBin}:/usr/bin:/bin` };
  const svc = service("postgresql", {
    environment: env,
    stopGracePeriodMs: 30_000,
    stopSignal: "SIGINT",
    healthcheck: { test: ["CMD", "pg_isready", "-q"], intervalMs: 500, timeoutMs: 5000, retries: 5, startPeriodMs: 20_000, startIntervalMs: 200 },
  });
  const run = [
    "run", "--detach", "--name", svc.containerName, "--network", "host", "--stop-signal", "SIGINT",
    "--volume", `${dir}:${dir}`,
    ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    "--rootfs", "/:O",
    // setpriv execs (no su in between), so postgres is PID 1 and gets the stop signal itself.
    "setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups", "--",
    `${pgBin}/postgres`, "-D", join(dir, "data"), "-p", String(port), "-k", sock, "-c", "listen_addresses=127.0.0.1",
  ];
  return { service: svc, run };
}

/** A writer stand-in (web, sidekiq): a busybox container that just sleeps. */
export function runSleeper(sandbox: PodmanSandbox, name: string): void {
  sandbox.podman(["run", "--detach", "--name", `mastodon-${name}`, "--network", "host", "localhost/busybox:test", "sleep", "600"]);
}

export function opsContext(root: string, suite: Suite, runner: Runner, over: Partial<OpsContext> = {}): OpsContext & { printed: string[] } {
  const data = join(root, "data");
  mkdirSync(join(data, "private"), { recursive: true });
  const envFile = join(root, "micropod.env");
  writeFileSync(envFile, "DOMAIN=social.example\nMASTODON_VERSION=v4.3.0\n");
  writeFileSync(join(data, "private", "secrets.env"), "DB_PASS=not-a-real-secret-1234\n", { mode: 0o600 });
  const redactor = over.redactor ?? new Redactor();
  const logger = over.logger ?? createLogger({ json: true, level: "silent" });
  const printed: string[] = [];
  return {
    runner,
    logger,
    redactor,
    clock: systemClock,
    out: (t) => printed.push(t),
    signal: new AbortController().signal,
    config: {
      envFile,
      vars: { DB_NAME: "mastodon", DOMAIN: "social.example", MASTODON_VERSION: "v4.3.0" },
      paths: { data, secretsFile: join(data, "private", "secrets.env"), state: join(data, "state"), lock: join(data, "state", "micropod.lock"), logs: join(root, "logs") },
    },
    suite,
    printed,
    ...over,
  };
}

/** A service the test started by hand (PostgreSQL on the host's userland) passes its healthcheck: the engine's own poll. */
export async function untilHealthy(ctx: OpsContext, name: string): Promise<void> {
  const step = planStart(ctx.suite, { vars: ctx.config.vars }, emptyObservedState(), { services: [name], wait: true }).containers.find((c) => c.service === name)!;
  await waitHealthy(step, { runner: ctx.runner, clock: ctx.clock, signal: new AbortController().signal });
}

