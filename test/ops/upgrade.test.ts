import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ExitCode, InterruptedError, MicropodError } from "../../src/core/errors.js";
import type { Runner } from "../../src/core/runner.js";
import { observe } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { startServices } from "../../src/engine/start.js";
import { upgrade } from "../../src/ops/upgrade.js";
import { loadSuite } from "../../src/suite/load.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { freePort } from "../support/free-port.js";
import { tempDir } from "../support/temp.js";
import { SandboxRunner, newCluster, opsContext, untilHealthy } from "./support.js";

/**
 * upgrade on real podman, on a compose file with the bundled suite's structure
 * (fixtures/bundled-structure: build-only base, base-toolchain and mastodon, maintaindb built FROM
 * the template, Sidekiq, web and streaming running it), with fake bundle/rails/sidekiq that log
 * what runs where, and a real PostgreSQL for the backup step.
 *
 * The fake processes write their line before they mark themselves ready, and the engine waits
 * for readiness, so every assertion below is on an order the engine guarantees. (The earlier test
 * read the order of lines written by processes behind `service_started` edges, and cleared the
 * log while a process just started might still be writing to it: both depend on how fast a shell
 * starts in a container, which is what made it fail now and then on a loaded machine.)
 */
let sandbox: PodmanSandbox;
let root: string;
let stepsDir: string;
const fixture = join(import.meta.dirname, "fixtures", "bundled-structure");
const image = "localhost/micropod/mastodon";
const processes = ["sidekiq-default", "sidekiq-scheduler", "web", "streaming"];

const steps = () => readFileSync(join(stepsDir, "steps.log"), "utf8").trim().split("\n").filter(Boolean);
const clearSteps = () => writeFileSync(join(stepsDir, "steps.log"), "");
const imageId = (ref: string) => sandbox.podman(["image", "inspect", "--format", "{{.Id}}", ref]).trim();
const containerImage = (name: string) => sandbox.podman(["container", "inspect", "--format", "{{.Image}}", `mastodon-${name}`]).trim();
const containerId = (name: string) => sandbox.podman(["container", "inspect", "--format", "{{.Id}}", `mastodon-${name}`]).trim();
const starts = (version: string) => processes.map((p) => `start ${p === "web" || p === "streaming" ? p : `mastodon-${p}`} ${version}`).sort();
const migrate = (phase: "pre" | "post", version: string) =>
  `migrate ${phase} ${version} SKIP_POST_DEPLOYMENT_MIGRATIONS=${phase === "pre" ? "true" : ""} RAILS_ENV=production DB_PASS=set`;

let ctx: ReturnType<typeof opsContext>;
let runner: SandboxRunner;
let vars: Record<string, string>;

/** What the next `micropod start` would do, for the .env at `version`. */
async function nextStart(version: string) {
  const suite = await loadSuite(join(fixture, "compose.yaml"), { ...vars, MASTODON_VERSION: version });
  const plan = planStart(suite, { vars: { ...vars, MASTODON_VERSION: version } }, await observe(runner, suite), { services: [...processes, "maintaindb"] });
  return [...plan.builds.map((b) => `build ${b.service}: ${b.action}`), ...plan.containers.map((c) => `${c.service}: ${c.action} (${c.reason})`)];
}

const upToDate = [
  "build base: up-to-date",
  "build base-toolchain: up-to-date",
  "build redis: up-to-date",
  "build maintaindb: up-to-date",
  "build mastodon: up-to-date",
  "redis: leave (running, unchanged)",
  "maintaindb: leave (completed, unchanged)",
  ...processes.map((p) => `${p}: leave (running, unchanged)`),
];

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  root = tempDir("micropod-ops-upgrade-");
  stepsDir = join(root, "steps");
  mkdirSync(stepsDir);
  vars = { DOMAIN: "social.example", MASTODON_VERSION: "v4.3.0", FREEBSD_RELEASE: "15.0", STEPS_DIR: stepsDir, DB_PASS: "upgrade-test-db-pass", DB_NAME: "mastodon" };
  const suite = await loadSuite(join(fixture, "compose.yaml"), vars);
  const { run } = newCluster(root, await freePort(), "pg");
  sandbox.podman(run);
  runner = new SandboxRunner(sandbox.env);
  ctx = opsContext(root, suite, runner);
  ctx = { ...ctx, config: { ...ctx.config, vars } };
  await untilHealthy(ctx, "postgresql");
  sandbox.podman(["exec", "--user", "postgres", "mastodon-postgresql", "createdb", "mastodon"]);
  // The suite as `micropod start` leaves it: v4.3.0 built, maintaindb completed, the processes ready.
  await startServices(suite, { vars }, ctx.config.paths, { runner, clock: ctx.clock, logger: ctx.logger, signal: new AbortController().signal }, { services: processes, wait: true });
  expect(steps().sort()).toEqual(["maintaindb v4.3.0", ...starts("v4.3.0")].sort());
  clearSteps();
});


describe("upgrade on the bundled suite's structure, real podman", () => {
  it("--check plans the template's build, the processes to recreate and maintaindb's rerun, and changes nothing", async () => {
    const before = imageId(image);
    runner.calls.length = 0;
    const err = (await upgrade(ctx, { version: "v4.4.0", check: true }).catch((e: unknown) => e)) as MicropodError;
    expect(err.exitCode).toBe(ExitCode.changesPending);
    const lines = ctx.printed.at(-1)!.split("\n");
    expect(lines[3]).toMatch(new RegExp(`^3\\. build: podman build --file ${fixture}/mastodon/Containerfile --build-arg FREEBSD_RELEASE=15\\.0 --build-arg MASTODON_VERSION=v4\\.4\\.0 .* --tag ${image}:latest ${fixture}/mastodon$`));
    expect(lines[5]).toBe("5. recreate from the new image, each gated on readiness, leaving what they depend on as it runs: sidekiq-default, sidekiq-scheduler, web, streaming");
    expect(lines[8]).toBe("8. rebuild and run again on the new image (no migration is left for them): maintaindb");
    // Read-only: it observes files only.
    expect(runner.calls).toEqual([]);
    expect(imageId(image)).toBe(before);
  });

  it("rebuilds the template, migrates on the new image around recreating every Mastodon process, then reruns maintaindb", async () => {
    const v1 = imageId(image);
    const bases = ["localhost/micropod/base:15.0", "localhost/micropod/base-toolchain:15.0"].map(imageId);
    const redis = containerId("redis");
    runner.calls.length = 0;
    await upgrade(ctx, { version: "v4.4.0" });
    const log = steps();
    expect(log[0]).toBe(migrate("pre", "v4.4.0"));
    expect(log.slice(1, 5).sort()).toEqual(starts("v4.4.0"));
    expect(log.slice(5)).toEqual([migrate("post", "v4.4.0"), "maintaindb v4.4.0"]);
    // The backup came first, then the one build of the template (its bases are up to date).
    const builds = runner.calls.filter((c) => c[1] === "build");
    expect(builds.map((c) => c.at(-1))).toEqual([join(fixture, "mastodon"), join(fixture, "maintaindb")]);
    const dump = runner.calls.findIndex((c) => c.includes("psql"));
    expect(dump).toBeGreaterThanOrEqual(0);
    expect(dump).toBeLessThan(runner.calls.indexOf(builds[0]!));
    expect(["localhost/micropod/base:15.0", "localhost/micropod/base-toolchain:15.0"].map(imageId)).toEqual(bases);
    const v2 = imageId(image);
    expect(v2).not.toBe(v1);
    expect(imageId(`${image}:micropod-previous`)).toBe(v1);
    for (const p of processes) expect(containerImage(p), p).toBe(v2);
    expect(containerId("redis")).toBe(redis);
    expect(readFileSync(ctx.config.envFile, "utf8")).toBe("DOMAIN=social.example\nMASTODON_VERSION=v4.4.0\n");
    // Everything carries the engine's labels: the next `micropod start` builds and recreates nothing.
    expect(await nextStart("v4.4.0")).toEqual(upToDate);
    expect(ctx.printed.at(-1)).toMatch(/^upgraded Mastodon v4\.3\.0 -> v4\.4\.0; previous image kept as localhost\/micropod\/mastodon:micropod-previous; backup .*\/backups\/\d{8}T\d{6}Z$/);
  });

  it("when post-deployment migrations fail, puts the previous image back, recreates the processes from it and names the database state", async () => {
    const v2 = imageId(image);
    clearSteps();
    // A new invocation reads the .env the first upgrade wrote: MASTODON_VERSION=v4.4.0.
    vars = { ...vars, MASTODON_VERSION: "v4.4.0" };
    ctx = { ...ctx, suite: await loadSuite(join(fixture, "compose.yaml"), vars), config: { ...ctx.config, vars } };
    const err = (await upgrade(ctx, { version: "v4.5.0-bad" }).catch((e: unknown) => e)) as MicropodError;
    expect(err).toBeInstanceOf(MicropodError);
    expect(err.message).toBe("upgrade to v4.5.0-bad failed at step post-migrate");
    const backupDir = /backup taken before the upgrade is (\S+) \(/.exec(err.details[0]!)?.[1];
    expect(err.details.slice(0, 2)).toEqual([
      `The database holds the pre-deployment migrations and possibly some post-deployment ones, which the previous release may not expect: check the instance, and restore if it misbehaves. The backup taken before the upgrade is ${backupDir} (micropod restore ${backupDir} --stop-writers).`,
      `The previous image is back as ${image} and ${processes.join(", ")} run from it.`,
    ]);
    expect(err.details.join("\n")).toContain("PG::UndefinedColumn");
    const log = steps();
    expect(log[0]).toBe(migrate("pre", "v4.5.0-bad"));
    expect(log.slice(1, 5).sort()).toEqual(starts("v4.5.0-bad"));
    expect(log[5]).toBe(migrate("post", "v4.5.0-bad"));
    // Rolled back: the processes again, on the previous release; maintaindb never ran on the bad one.
    expect(log.slice(6).sort()).toEqual(starts("v4.4.0"));
    expect(imageId(image)).toBe(v2);
    for (const p of processes) expect(containerImage(p), p).toBe(v2);
    expect(readFileSync(ctx.config.envFile, "utf8")).toBe("DOMAIN=social.example\nMASTODON_VERSION=v4.4.0\n");
    expect(await nextStart("v4.4.0")).toEqual(upToDate);
  });

  it("Ctrl-C while the processes are recreated stops the upgrade there: no readiness wait, no later step, the previous image back", async () => {
    const v2 = imageId(image);
    clearSteps();
    const ctrlC = new AbortController();
    let abortedAt = -1;
    // Ctrl-C exactly when the engine starts the first process of step 5 (after the pre-deployment migrations).
    const interrupting: Runner = {
      run: (c, opts) => {
        if (abortedAt < 0 && c.argv[1] === "start" && runner.calls.some((x) => x.includes("mastodon-upgrade-pre-migrate"))) {
          abortedAt = runner.calls.length + 1;
          ctrlC.abort(new InterruptedError("interrupted by SIGINT"));
        }
        return runner.run(c, opts);
      },
    };
    runner.calls.length = 0;
    const err = (await upgrade({ ...ctx, runner: interrupting, signal: ctrlC.signal }, { version: "v4.5.0" }).catch((e: unknown) => e)) as MicropodError;
    expect(abortedAt).toBeGreaterThan(0);
    expect([err.exitCode, err.message]).toEqual([ExitCode.interrupted, "upgrade to v4.5.0 interrupted at step recreate"]);
    expect(err.details.slice(1, 2)).toEqual([`The previous image is back as ${image}; the processes recreated from the new one before the interruption run it until \`micropod start\` recreates them from the previous one.`]);
    const after = runner.calls.slice(abortedAt);
    expect(after.filter((c) => c[1] === "exec" || c[1] === "run" || c[1] === "build")).toEqual([]);
    expect(after.filter((c) => c[1] === "tag")).toEqual([["podman", "tag", v2, image]]);
    expect(steps().filter((l) => l.startsWith("migrate post"))).toEqual([]);
    expect(imageId(image)).toBe(v2);
    expect(existsSync(ctx.config.paths.lock)).toBe(false);
    // What `micropod start` then does: every process back on the previous release.
    await startServices(ctx.suite, { vars }, ctx.config.paths, { ...ctx, signal: new AbortController().signal }, { services: processes, wait: true });
    for (const p of processes) expect(containerImage(p), p).toBe(v2);
    expect(await nextStart("v4.4.0")).toEqual(upToDate);
  });
});
