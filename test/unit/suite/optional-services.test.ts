import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { SuiteError } from "../../../src/core/errors.js";
import { emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { placementPfRules } from "../../../src/host/placement-pf.js";
import { loadSuite } from "../../../src/suite/load.js";
import { tempDir } from "../../support/temp.js";
import { sampleVars } from "./vars.js";

/**
 * The bundled suite's optional services, switched on by Compose profiles (COMPOSE_PROFILES), and
 * what Mastodon's processes are told about them.
 */
const repo = resolve(import.meta.dirname, "../../..");
const bundled = join(repo, "containerfiles/compose.yaml");
/** What the configuration sets when COMPOSE_PROFILES has redis-cache (the variables' defaults). */
const cacheVars = { ...sampleVars, COMPOSE_PROFILES: "redis-cache", CACHE_REDIS_HOST: "10.89.0.14", CACHE_REDIS_PORT: "6380", CACHE_REDIS_MAXMEMORY: "256mb" };
/** What the configuration sets when COMPOSE_PROFILES has postgresql-replica. */
const replicaVars = { ...sampleVars, COMPOSE_PROFILES: "postgresql-replica", REPLICA_DB_HOST: "10.89.0.15", REPLICA_DB_PORT: "5433", REPLICA_DB_NAME: "mastodon", REPLICA_DB_USER: "mastodon", REPLICATION_PASSWORD: "replication-secret-value" };
const RAILS = ["maintaindb", "sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler", "web"];

/** The bundled file with `edit` applied, loaded from a temp directory whose build contexts point back at containerfiles/. */
async function loadEdited(edit: (text: string) => string, vars: Record<string, string>) {
  const file = join(tempDir("micropod-optional-"), "compose.yaml");
  writeFileSync(file, edit(readFileSync(bundled, "utf8")).replace(/context: \.\//g, `context: ${join(repo, "containerfiles")}/`));
  return loadSuite(file, vars);
}

describe("the redis-cache profile", () => {
  test("off (the default): no redis-cache or replica, no CACHE_REDIS_* or REPLICA_DB_* but REPLICA_DB_TASKS in any container, no dependency on them", async () => {
    const suite = await loadSuite(bundled, sampleVars);
    expect(suite.services.has("redis-cache")).toBe(false);
    expect(suite.services.has("postgresql-replica")).toBe(false);
    for (const s of suite.services.values()) {
      expect(Object.keys(s.environment).filter((k) => /^(CACHE_|REPLICA_)/.test(k)), s.name).toEqual(s.environment.RAILS_ENV ? ["REPLICA_DB_TASKS"] : []);
      expect(s.dependsOn.map((d) => d.service), s.name).not.toContain("redis-cache");
      expect(s.dependsOn.map((d) => d.service), s.name).not.toContain("postgresql-replica");
    }
    expect(suite.services.get("web")!.dependsOn).toEqual([
      { service: "maintaindb", condition: "service_completed_successfully", required: true },
      { service: "redis", condition: "service_healthy", required: true },
    ]);
    // postgresql starts without REPLICATION_PASSWORD (generated only with the profile), and that is no warning.
    const { REPLICATION_PASSWORD: _r, ...withoutReplication } = replicaVars;
    const plan = planStart(suite, { vars: { ...withoutReplication, COMPOSE_PROFILES: "" } }, emptyObservedState());
    expect(plan.warnings.filter((w) => w.includes("replication"))).toEqual([]);
    expect(plan.secrets.map((x) => x.name)).not.toContain("mastodon_replication_password");
  });

  test("on: redis-cache runs the redis image in cache mode, and every Rails process reaches it and waits for it", async () => {
    const suite = await loadSuite(bundled, cacheVars);
    const cache = suite.services.get("redis-cache")!;
    expect(cache.image).toBe("localhost/micropod/redis");
    expect(cache.environment).toEqual({ REDIS_MODE: "cache", REDIS_PORT: "6380", REDIS_MAXMEMORY: "256mb" });
    expect(cache.secrets).toEqual([{ source: "redis_password", target: "REDIS_PASSWORD", type: "env" }]);
    expect(cache.volumes).toEqual([]);
    expect(cache.networks).toEqual([{ name: "backend", ipv4Address: "10.89.0.14", ipv6Address: "fd00:10:89::14", aliases: [] }]);
    for (const name of RAILS) {
      const s = suite.services.get(name)!;
      expect([s.environment.CACHE_REDIS_HOST, s.environment.CACHE_REDIS_PORT], name).toEqual(["10.89.0.14", "6380"]);
      expect(s.secrets, name).toContainEqual({ source: "redis_password", target: "CACHE_REDIS_PASSWORD", type: "env" });
    }
    for (const name of RAILS.filter((n) => n !== "maintaindb")) {
      expect(suite.services.get(name)!.dependsOn, name).toContainEqual({ service: "redis-cache", condition: "service_healthy", required: false });
    }
    // Built once, by the redis service: the plan creates redis-cache from that build and waits on its healthcheck.
    const plan = planStart(suite, { vars: cacheVars }, emptyObservedState());
    expect(plan.builds.filter((b) => b.action === "build").map((b) => b.service)).not.toContain("redis-cache");
    const step = plan.containers.find((c) => c.service === "redis-cache")!;
    expect(step.commands[0]!.argv).toEqual(expect.arrayContaining(["--name", "mastodon-redis-cache", "--env", "REDIS_MODE=cache", "--secret", "mastodon_redis_password,type=env,target=REDIS_PASSWORD"]));
    const order = plan.containers.map((c) => c.service);
    expect(order.indexOf("redis-cache")).toBeLessThan(order.indexOf("web"));
  });

  test("a required dependency on a service its profile leaves out is refused, naming the profile", async () => {
    const load = loadEdited((t) => t.replace("redis-cache: { condition: service_healthy, required: false }\n    postgresql-replica: { condition: service_healthy, required: false }\n  stop_grace_period: 40s", "redis-cache: { condition: service_healthy }\n    postgresql-replica: { condition: service_healthy, required: false }\n  stop_grace_period: 40s"), sampleVars);
    const err = await load.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuiteError);
    expect((err as SuiteError).problems.map((p) => `${p.path}: ${p.message}`)).toContain(
      "services/sidekiq-scheduler/depends_on/redis-cache: redis-cache runs only with the profile redis-cache: add it to COMPOSE_PROFILES, or make this dependency required: false",
    );
  });

  test("placed on the data host with redis: web on local gets the data host's address, each Redis its own port there, and data admits local on both", async () => {
    const suite = await loadEdited(
      (t) =>
        t
          .replace("x-micropod:\n  roles:", "x-micropod:\n  hosts:\n    local: { address: 192.0.2.10 }\n    data: { url: ssh://root@data.example/run/podman/podman.sock, address: 192.0.2.20 }\n  roles:")
          .replace("    container_name: mastodon-redis\n", "    container_name: mastodon-redis\n    x-micropod: { host: data, secret-type: env }\n")
          .replace(/(container_name: mastodon-redis\n[\s\S]*?) {4}x-micropod:\n {6}secret-type: env\n/, "$1")
          .replace("    container_name: mastodon-redis-cache\n", "    container_name: mastodon-redis-cache\n    x-micropod: { host: data, secret-type: env }\n")
          .replace(/(container_name: mastodon-redis-cache\n[\s\S]*?) {4}x-micropod:\n {6}secret-type: env\n/, "$1"),
      cacheVars,
    );
    expect(suite.services.get("web")!.environment).toMatchObject({ REDIS_HOST: "192.0.2.20", CACHE_REDIS_HOST: "192.0.2.20", CACHE_REDIS_PORT: "6380" });
    expect(suite.links!.filter((l) => l.client === "web").map((l) => `${l.variable}=${l.value}`)).toEqual(["REDIS_HOST=192.0.2.20", "CACHE_REDIS_HOST=192.0.2.20"]);
    expect(suite.services.get("redis")!.ports).toEqual(["192.0.2.20:6379:6379/tcp"]);
    expect(suite.services.get("redis-cache")!.ports).toEqual(["192.0.2.20:6380:6380/tcp"]);
    expect(placementPfRules(suite, "data").definitions).toEqual(["table <micropod-peers-6379> const { 192.0.2.10 }", "table <micropod-peers-6380> const { 192.0.2.10 }"]);
  });
});

describe("the postgresql-replica profile", () => {
  test("on: the postgresql image as a hot standby of postgresql, and every Mastodon process told where it is", async () => {
    const suite = await loadSuite(bundled, replicaVars);
    const replica = suite.services.get("postgresql-replica")!;
    expect(replica.image).toBe("localhost/micropod/postgresql");
    expect(replica.environment).toEqual({ PG_MODE: "replica", PG_PORT: "5433", PG_PRIMARY_HOST: "10.89.0.10", PG_PRIMARY_PORT: "5432", PG_HBA_NETWORKS_V4: "10.89.0.0/24", PG_HBA_NETWORKS_V6: "fd00:10:89::/64" });
    expect(replica.secrets).toEqual([{ source: "replication_password", target: "REPLICATION_PASSWORD", type: "env" }]);
    expect(replica.volumes).toEqual([{ type: "bind", source: "/var/db/micropod/postgresql-replica", target: "/var/db/postgres", readOnly: false }]);
    expect(replica.dependsOn).toEqual([{ service: "postgresql", condition: "service_healthy", required: true }]);
    expect(replica.healthcheck!.test).toEqual(["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", "5433"]);
    expect(suite.services.get("postgresql")!.secrets).toContainEqual({ source: "replication_password", target: "REPLICATION_PASSWORD", type: "env" });
    for (const name of [...RAILS, "streaming"]) {
      const env = suite.services.get(name)!.environment;
      expect([env.REPLICA_DB_HOST, env.REPLICA_DB_PORT, env.REPLICA_DB_NAME, env.REPLICA_DB_USER, env.REPLICA_DB_TASKS], name).toEqual(["10.89.0.15", "5433", "mastodon", "mastodon", "false"]);
    }
    for (const name of RAILS) expect(suite.services.get(name)!.secrets, name).toContainEqual({ source: "db_pass", target: "REPLICA_DB_PASS", type: "env" });
    expect(suite.services.get("web")!.dependsOn).toContainEqual({ service: "postgresql-replica", condition: "service_healthy", required: false });
    // The database role stays the primary: backup, restore and db verbs never reach the replica.
    expect(suite.roles?.database).toBe("postgresql");
  });

  test("placed on the data host with postgresql: web on local reaches the replica at data's address, on the replica's own port", async () => {
    const suite = await loadEdited(
      (t) =>
        t
          .replace("x-micropod:\n  roles:", "x-micropod:\n  hosts:\n    local: { address: 192.0.2.10 }\n    data: { url: ssh://root@data.example/run/podman/podman.sock, address: 192.0.2.20 }\n  roles:")
          .replace(/(container_name: mastodon-postgresql\n[\s\S]*? {4}x-micropod:\n)/, "$1      host: data\n")
          .replace(/(container_name: mastodon-postgresql-replica\n[\s\S]*? {4}x-micropod:\n)/, "$1      host: data\n"),
      replicaVars,
    );
    expect(suite.services.get("web")!.environment).toMatchObject({ DB_HOST: "192.0.2.20", DB_PORT: "5432", REPLICA_DB_HOST: "192.0.2.20", REPLICA_DB_PORT: "5433" });
    // The replica shares data's network with the primary: its address of the primary stays as written.
    expect(suite.services.get("postgresql-replica")!.environment.PG_PRIMARY_HOST).toBe("10.89.0.10");
    expect(suite.services.get("postgresql")!.ports).toEqual(["192.0.2.20:5432:5432/tcp"]);
    expect(suite.services.get("postgresql-replica")!.ports).toEqual(["192.0.2.20:5433:5433/tcp"]);
    expect(placementPfRules(suite, "data").definitions).toContain("table <micropod-peers-5433> const { 192.0.2.10 }");
    // Both admit local's address in pg_hba (PG_HBA_PEERS), not only their backend subnets.
    expect([suite.services.get("postgresql")!.environment.PG_HBA_PEERS, suite.services.get("postgresql-replica")!.environment.PG_HBA_PEERS]).toEqual(["192.0.2.10", "192.0.2.10"]);
  });

  test("on a host of its own: its address of the primary becomes the primary host's, and the plan refuses it until images are copied between hosts", async () => {
    const suite = await loadEdited(
      (t) =>
        t
          .replace("x-micropod:\n  roles:", "x-micropod:\n  hosts:\n    local: { address: 192.0.2.10 }\n    db2: { url: ssh://root@db2.example/run/podman/podman.sock, address: 192.0.2.30 }\n  roles:")
          .replace(/(container_name: mastodon-postgresql-replica\n[\s\S]*? {4}x-micropod:\n)/, "$1      host: db2\n"),
      replicaVars,
    );
    expect(suite.services.get("postgresql-replica")!.environment).toMatchObject({ PG_PRIMARY_HOST: "192.0.2.10", PG_PRIMARY_PORT: "5432" });
    expect(suite.services.get("web")!.environment).toMatchObject({ DB_HOST: "10.89.0.10", REPLICA_DB_HOST: "192.0.2.30", REPLICA_DB_PORT: "5433" });
    expect(suite.services.get("postgresql")!.ports).toEqual(["192.0.2.10:5432:5432/tcp"]);
    // The primary admits db2 (the replica's pg_basebackup and WAL stream); pg_hba is no longer what stops it.
    expect(suite.services.get("postgresql")!.environment.PG_HBA_PEERS).toBe("192.0.2.30");
    const err = (() => {
      try {
        planStart(suite, { vars: replicaVars }, emptyObservedState());
      } catch (e) {
        return e as SuiteError;
      }
      return undefined;
    })();
    expect(err?.problems.map((p) => `${p.path}: ${p.message}`)).toContain(
      "services/postgresql-replica/x-micropod/host: postgresql-replica runs on db2 the image postgresql builds on local: place them on the same host (images are built where they run; copying them with podman image scp is not done yet)",
    );
  });
});
