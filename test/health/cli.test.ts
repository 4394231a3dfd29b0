import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli.js";
import { type PodmanSandbox, createPodmanSandbox } from "../support/podman-env.js";
import { type RedisServer, startRedis } from "./redis-server.js";

let redis: RedisServer;
let sandbox: PodmanSandbox;
let dir: string;
let envFile: string;
const saved = { conf: process.env.CONTAINERS_CONF, storage: process.env.CONTAINERS_STORAGE_CONF };

async function micropod(...args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  try {
    const code = await main(["node", "micropod", "--json", ...args]);
    return { code, out: chunks.join("") };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  redis = await startRedis();
  sandbox = createPodmanSandbox();
  // The check's `podman ps` goes to the sandbox, never to the machine's podman.
  process.env.CONTAINERS_CONF = sandbox.env.CONTAINERS_CONF;
  process.env.CONTAINERS_STORAGE_CONF = sandbox.env.CONTAINERS_STORAGE_CONF;
  dir = mkdtempSync(join(tmpdir(), "micropod-health-cli-"));
  envFile = join(dir, "micropod.env");
  const sample = readFileSync(resolve("sample.env"), "utf8")
    .replace(/^REDIS_HOST=.*$/m, "REDIS_HOST=127.0.0.1")
    .replace(/^REDIS_PORT=.*$/m, `REDIS_PORT=${redis.port}`)
    .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${dir}/data`)
    .replace(/^LOG_DIR=.*$/m, `LOG_DIR=${dir}/log`);
  writeFileSync(envFile, sample);
});

afterAll(async () => {
  process.env.CONTAINERS_CONF = saved.conf;
  process.env.CONTAINERS_STORAGE_CONF = saved.storage;
  if (saved.conf === undefined) delete process.env.CONTAINERS_CONF;
  if (saved.storage === undefined) delete process.env.CONTAINERS_STORAGE_CONF;
  sandbox?.cleanup();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("micropod health verbs", () => {
  it("check names containers the seed's way, alerts on a missing one and an unserved queue; status shows it", async () => {
    const client = redis.client();
    await client.sadd("queues", "fasp");
    await client.lpush("queue:fasp", JSON.stringify({ class: "X", queue: "fasp", jid: "1", enqueued_at: Date.now() / 1000 - 30 }));
    const r = await micropod("health", "check", "--env", envFile, "--queues", "pull:mastodon-sidekiq-gone");
    expect(r).toEqual({
      code: 0,
      out: "mastodon-sidekiq-gone  absent  alert  container does not exist\nqueue fasp: 1 jobs, nobody serves it\n",
    });
    const status = await micropod("health", "status", "--env", envFile);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^last check: \S+ \(\d+ s ago\)\n\nCONTAINER +STATUS +FAILING +RESTARTS\/1H +LAST RESTART +REASONS\nmastodon-sidekiq-gone +absent +0 +0 +- +-\n\nrecent events:\n/);
    expect(status.out).toMatch(/alert +mastodon-sidekiq-gone: container does not exist\n.*alert +queue fasp holds 1 jobs \(oldest 3\d s\) and no Sidekiq process serves it\n$/);
  });

  it("install writes the cron.d file once, and refuses a file micropod did not write", async () => {
    const root = join(dir, "root");
    const first = await micropod("health", "install", "--env", envFile, "--root", root);
    expect(first).toEqual({ code: 0, out: "wrote /usr/local/etc/cron.d/micropod-health: micropod health check every 2m\n" });
    expect(readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "utf8")).toContain(
      `*/2 * * * *\troot\t/usr/local/bin/micropod health check --env ${envFile} >> ${dir}/log/micropod-health.log 2>&1\n`,
    );
    expect(await micropod("health", "install", "--env", envFile, "--root", root)).toEqual({ code: 0, out: "/usr/local/etc/cron.d/micropod-health is up to date\n" });
    writeFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "*/5 * * * * root /my/own\n");
    expect((await micropod("health", "install", "--env", envFile, "--root", root)).code).toBe(1);
    expect(readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "utf8")).toBe("*/5 * * * * root /my/own\n");
  });

  it("refuses a bad QUEUES form with a usage error", async () => {
    expect((await micropod("health", "check", "--env", envFile, "--queues", "nonsense")).code).toBe(2);
  });
});
