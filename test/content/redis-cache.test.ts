import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { MicropodConfig } from "../../src/config/model.js";
import { loadSuite } from "../../src/suite/load.js";
import type { Suite } from "../../src/suite/model.js";
import { freePort } from "../support/free-port.js";
import { startRedisEntrypoint } from "./redis-entrypoint.js";
import { tempDir } from "../support/temp.js";

/**
 * The redis image's entrypoint in cache mode, run for real: Debian's redis-server as the redis
 * user, with exactly the environment and secrets compose.yaml gives the redis-cache service when
 * sample.env turns the redis-cache profile on. Redis itself is asked what it runs with (CONFIG
 * GET), and it evicts instead of refusing writes once full. Loopback only, on a free port.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");

let work: string;
let port: number;
let config: MicropodConfig;
let suite: Suite;
const clients: Redis[] = [];

beforeAll(async () => {
  work = tempDir("micropod-redis-cache-");
  chmodSync(work, 0o755);
  port = await freePort();
  const env = join(work, "micropod.env");
  writeFileSync(
    env,
    readFileSync(join(repo, "sample.env"), "utf8")
      .replace(/^COMPOSE_PROFILES=.*$/m, "COMPOSE_PROFILES=redis-cache")
      .replace(/^CACHE_REDIS_MAXMEMORY=.*$/m, "CACHE_REDIS_MAXMEMORY=2mb")
      .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${join(work, "micropod")}`),
  );
  config = await loadConfig(env);
  suite = await loadSuite(join(containerfiles, "compose.yaml"), config.vars);
  const svc = suite.services.get("redis-cache")!;
  const containerEnv: Record<string, string> = { ...svc.environment };
  for (const s of svc.secrets) containerEnv[s.target] = config.vars[suite.secrets.get(s.source)!.environment!]!;
  await startRedisEntrypoint(join(work, "conf"), port, containerEnv);
});

afterAll(() => {
  for (const c of clients) c.disconnect();
});

const authed = async () => {
  const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, password: config.vars.REDIS_PASSWORD });
  c.on("error", () => {});
  clients.push(c);
  await c.connect();
  return c;
};

describe("redis-cache: the redis image with REDIS_MODE=cache", () => {
  it("the configuration points Mastodon's cache at it: CACHE_REDIS_HOST and _PORT default to redis-cache's address and port", () => {
    expect([config.vars.CACHE_REDIS_HOST, config.vars.CACHE_REDIS_PORT]).toEqual(["10.89.0.14", "6380"]);
    expect(suite.services.get("web")!.environment).toMatchObject({ CACHE_REDIS_HOST: "10.89.0.14", CACHE_REDIS_PORT: "6380" });
  });

  it("runs as a cache: no snapshots, no append-only file, the memory limit given, least recently used keys evicted", async () => {
    const c = await authed();
    const get = async (name: string) => ((await c.config("GET", name)) as string[])[1];
    expect(await get("save")).toBe("");
    expect(await get("appendonly")).toBe("no");
    expect(await get("maxmemory")).toBe(String(2 * 1024 * 1024));
    expect(await get("maxmemory-policy")).toBe("allkeys-lru");
    expect(await get("requirepass")).toBe(config.vars.REDIS_PASSWORD);
  });

  it("keeps accepting writes past its memory limit, by evicting (the store mode would answer OOM)", async () => {
    const c = await authed();
    const value = "x".repeat(10_000);
    for (let i = 0; i < 600; i++) expect(await c.set(`cache:${i}`, value)).toBe("OK");
    const info = await c.info("stats");
    expect(Number(/evicted_keys:(\d+)/.exec(info)![1])).toBeGreaterThan(0);
    expect(await c.dbsize()).toBeLessThan(600);
    // Nothing was written to its data directory.
    expect(readdirSync(join(work, "conf", "data"))).toEqual([]);
  });
});
