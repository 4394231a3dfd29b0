import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { loadConfig } from "../../../src/config/load.js";
import { activeProfiles } from "../../../src/config/profiles.js";
import { tempDir } from "../../support/temp.js";

const sample = readFileSync(resolve(import.meta.dirname, "../../../sample.env"), "utf8");

/** sample.env with `lines` set, loaded with its data directory in a temp directory. */
async function load(lines: Record<string, string>) {
  const dir = tempDir("micropod-profiles-");
  let text = sample;
  for (const [k, v] of Object.entries(lines)) text = text.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=${v}`);
  const file = join(dir, "micropod.env");
  writeFileSync(file, text);
  return loadConfig(file, { dataDirOverride: join(dir, "data") });
}

describe("COMPOSE_PROFILES and the variables of the optional services", () => {
  test("read as Compose reads it: comma-separated, blanks and spaces ignored", () => {
    expect([...activeProfiles(" redis-cache , ,postgresql-replica")]).toEqual(["redis-cache", "postgresql-replica"]);
    expect([...activeProfiles(undefined)]).toEqual([]);
  });

  test("without the redis-cache profile CACHE_REDIS_HOST and _PORT stay unset; with it they name redis-cache", async () => {
    const off = await load({});
    expect([off.vars.CACHE_REDIS_HOST, off.vars.CACHE_REDIS_PORT, off.vars.CACHE_REDIS_MAXMEMORY]).toEqual([undefined, undefined, "256mb"]);
    const on = await load({ COMPOSE_PROFILES: "redis-cache" });
    expect([on.vars.CACHE_REDIS_HOST, on.vars.CACHE_REDIS_PORT]).toEqual(["10.89.0.14", "6380"]);
    // A cache Redis of one's own, written in .env, is passed on with or without the profile.
    const own = await load({ CACHE_REDIS_HOST: "192.0.2.30", CACHE_REDIS_PORT: "6379" });
    expect([own.vars.CACHE_REDIS_HOST, own.vars.CACHE_REDIS_PORT]).toEqual(["192.0.2.30", "6379"]);
  });

  test("a profile list or memory size of another form is refused, naming the form", async () => {
    const err = await load({ COMPOSE_PROFILES: "redis cache", CACHE_REDIS_MAXMEMORY: "lots" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^COMPOSE_PROFILES: .*expected Compose profile names separated by commas/),
      expect.stringMatching(/^CACHE_REDIS_MAXMEMORY: .*expected a size as redis.conf writes it/),
    ]);
  });
});
