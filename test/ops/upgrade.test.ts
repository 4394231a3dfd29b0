import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MicropodError } from "../../src/core/errors.js";
import { observe } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { startServices } from "../../src/engine/start.js";
import { atVersion, upgrade } from "../../src/ops/upgrade.js";
import type { Service, Suite } from "../../src/suite/model.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { SandboxRunner, freePort, newCluster, opsContext, service, suiteOf, tmpRoot, untilHealthy } from "./support.js";

/**
 * upgrade on real podman: a busybox template image with fake bundle/rails/tootctl, the web,
 * streaming and sidekiq services running from it, and a real PostgreSQL for the backup step.
 */
let sandbox: PodmanSandbox;
let root: string;
let logDir: string;
const image = "localhost/micropod/mastodon";
const fixture = join(import.meta.dirname, "fixtures", "fake-template");

function mastodonService(name: string, over: Partial<Service> = {}): Service {
  return service(name, {
    image,
    command: ["serve", name],
    environment: { RAILS_ENV: "production" },
    secrets: [{ source: "db_pass", target: "DB_PASS", type: "env" }],
    volumes: [{ type: "bind", source: logDir, target: "/log", readOnly: false }],
    stopGracePeriodMs: 1000,
    healthcheck: { test: ["CMD", "test", "-f", "/version"], intervalMs: 200, timeoutMs: 2000, retries: 3, startPeriodMs: 0, startIntervalMs: 0 },
    ...over,
  });
}

const steps = () => readFileSync(join(logDir, "steps.log"), "utf8").trim().split("\n");
const imageId = (ref: string) => sandbox.podman(["image", "inspect", "--format", "{{.Id}}", ref]).trim();
const runningImage = (name: string) => sandbox.podman(["container", "inspect", "--format", "{{.Image}}", `mastodon-${name}`]).trim();

let ctx: ReturnType<typeof opsContext>;
let runner: SandboxRunner;
const users = ["sidekiq-default", "web", "streaming"];

/** What the next `micropod start` of these services would do, for a suite at `version`. */
async function nextStart(version: string) {
  const suite = atVersion(ctx.suite, version);
  const plan = planStart(suite, { vars: { ...ctx.config.vars, MASTODON_VERSION: version } }, await observe(runner, suite), { services: users });
  return [...plan.builds.map((b) => `build ${b.service}: ${b.action}`), ...plan.containers.map((c) => `${c.service}: ${c.action} (${c.reason})`)];
}

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  root = tmpRoot("micropod-ops-upgrade-");
  logDir = join(root, "log");
  mkdirSync(logDir);
  const secret = join(root, "db_pass");
  writeFileSync(secret, "upgrade-test-db-pass", { mode: 0o600 });
  const { service: pg, run } = newCluster(root, await freePort(), "pg");
  sandbox.podman(run);
  const template = service("mastodon", {
    image,
    buildOnly: true,
    build: { context: fixture, dockerfile: join(fixture, "Containerfile"), args: { FREEBSD_RELEASE: "15.0", MASTODON_VERSION: "v4.3.0" } },
  });
  const services = suiteOf(join(root, "compose.yaml"), [
    pg,
    template,
    mastodonService("sidekiq-default"),
    mastodonService("web", { dependsOn: [{ service: "sidekiq-default", condition: "service_started", required: true }] }),
    mastodonService("streaming", { dependsOn: [{ service: "web", condition: "service_healthy", required: true }] }),
  ]);
  const suite: Suite = { ...services, secrets: new Map([["db_pass", { name: "db_pass", file: secret }]]) };
  runner = new SandboxRunner(sandbox.env);
  ctx = opsContext(root, suite, runner);
  await untilHealthy(ctx, "postgresql");
  sandbox.podman(["exec", "--user", "postgres", "mastodon-postgresql", "createdb", "mastodon"]);
  // The suite as `micropod start` left it: v4.3.0 built and running (and the db_pass secret created).
  await startServices(suite, { vars: ctx.config.vars }, ctx.config.paths, { runner, clock: ctx.clock, logger: ctx.logger, signal: new AbortController().signal }, { services: users });
  writeFileSync(join(logDir, "steps.log"), "");
});

afterAll(() => sandbox?.cleanup());

describe("upgrade on real podman", () => {
  it("backs up, builds, migrates before and after recreating in dependency order, and records the version", async () => {
    const v1 = imageId(image);
    runner.calls.length = 0;
    await upgrade(ctx, { version: "v4.4.0" });
    expect(steps()).toEqual([
      "migrate pre v4.4.0 SKIP_POST_DEPLOYMENT_MIGRATIONS=true RAILS_ENV=production DB_PASS=set",
      "start sidekiq-default v4.4.0",
      "start web v4.4.0",
      "start streaming v4.4.0",
      "migrate post v4.4.0 SKIP_POST_DEPLOYMENT_MIGRATIONS= RAILS_ENV=production DB_PASS=set",
    ]);
    // The backup came first, the build second.
    const first = runner.calls.findIndex((c) => c.includes("pg_dump"));
    const build = runner.calls.findIndex((c) => c[1] === "build");
    const pre = runner.calls.findIndex((c) => c[1] === "run" && c.includes("mastodon-upgrade-pre-migrate"));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(build);
    expect(build).toBeLessThan(pre);
    const inputHash = sandbox.podman(["image", "inspect", "--format", '{{index .Labels "micropod.input-hash"}}', image]).trim();
    expect(inputHash).toMatch(/^[0-9a-f]{32}$/);
    expect(runner.calls[build]).toEqual([
      "podman", "build", "--file", join(fixture, "Containerfile"), "--build-arg", "FREEBSD_RELEASE=15.0", "--build-arg", "MASTODON_VERSION=v4.4.0",
      "--label", "com.docker.compose.project=mastodon", "--label", "com.docker.compose.service=mastodon", "--label", `micropod.input-hash=${inputHash}`,
      "--tag", `${image}:latest`, fixture,
    ]);
    expect(runner.calls[pre]).toEqual([
      "podman", "run", "--rm", "--name", "mastodon-upgrade-pre-migrate", "--label", "micropod.oneoff=upgrade-pre-migrate", "--network", "host",
      "--volume", `${logDir}:/log`, "--env", "RAILS_ENV=production", "--env", "SKIP_POST_DEPLOYMENT_MIGRATIONS=true",
      "--secret", "mastodon_db_pass,type=env,target=DB_PASS", image, "bundle", "exec", "rails", "db:migrate",
    ]);
    expect(imageId(`${image}:micropod-previous`)).toBe(v1);
    for (const s of ["sidekiq-default", "web", "streaming"]) expect(runningImage(s)).toBe(imageId(image));
    expect(readFileSync(ctx.config.envFile, "utf8")).toBe("DOMAIN=social.example\nMASTODON_VERSION=v4.4.0\n");
    // The image and containers carry the engine's labels: the next `micropod start` rebuilds and recreates nothing.
    expect(await nextStart("v4.4.0")).toEqual([
      "build mastodon: up-to-date",
      "sidekiq-default: leave (running, unchanged)",
      "web: leave (running, unchanged)",
      "streaming: leave (running, unchanged)",
    ]);
    expect(ctx.printed.at(-1)).toMatch(/^upgraded Mastodon v4\.3\.0 -> v4\.4\.0; previous image kept as localhost\/micropod\/mastodon:micropod-previous; backup .*\/backups\/\d{8}T\d{6}Z$/);
  });

  it("when post-deployment migrations fail, puts the previous image back, recreates from it and names the database state", async () => {
    const v11 = imageId(image);
    writeFileSync(join(logDir, "steps.log"), "");
    // A new invocation reads the .env the first upgrade wrote: MASTODON_VERSION=v4.4.0.
    ctx = { ...ctx, suite: atVersion(ctx.suite, "v4.4.0"), config: { ...ctx.config, vars: { ...ctx.config.vars, MASTODON_VERSION: "v4.4.0" } } };
    const err = (await upgrade(ctx, { version: "v4.5.0-bad" }).catch((e: unknown) => e)) as MicropodError;
    expect(err).toBeInstanceOf(MicropodError);
    expect(err.message).toBe("upgrade to v4.5.0-bad failed at step post-migrate");
    const backupDir = /backup taken before the upgrade is (\S+) \(/.exec(err.details[0]!)?.[1];
    expect(err.details.slice(0, 2)).toEqual([
      `The database holds the pre-deployment migrations and possibly some post-deployment ones, which the previous release may not expect: check the instance, and restore if it misbehaves. The backup taken before the upgrade is ${backupDir} (micropod restore ${backupDir} --stop-writers).`,
      "The previous image is back as localhost/micropod/mastodon and sidekiq-default, web, streaming run from it.",
    ]);
    expect(err.details.join("\n")).toContain("PG::UndefinedColumn");
    expect(steps()).toEqual([
      "migrate pre v4.5.0-bad SKIP_POST_DEPLOYMENT_MIGRATIONS=true RAILS_ENV=production DB_PASS=set",
      "start sidekiq-default v4.5.0-bad",
      "start web v4.5.0-bad",
      "start streaming v4.5.0-bad",
      "migrate post v4.5.0-bad SKIP_POST_DEPLOYMENT_MIGRATIONS= RAILS_ENV=production DB_PASS=set",
      "start sidekiq-default v4.4.0",
      "start web v4.4.0",
      "start streaming v4.4.0",
    ]);
    expect(imageId(image)).toBe(v11);
    for (const s of ["sidekiq-default", "web", "streaming"]) expect(runningImage(s)).toBe(v11);
    // The .env still names the release that runs, and the next start finds it as it left it.
    expect(readFileSync(ctx.config.envFile, "utf8")).toBe("DOMAIN=social.example\nMASTODON_VERSION=v4.4.0\n");
    expect(await nextStart("v4.4.0")).toEqual([
      "build mastodon: up-to-date",
      "sidekiq-default: leave (running, unchanged)",
      "web: leave (running, unchanged)",
      "streaming: leave (running, unchanged)",
    ]);
  });
});
