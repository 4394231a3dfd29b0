import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hostVariables } from "../../../src/commands/suite-loading.js";
import { type Command, renderCommand } from "../../../src/core/command.js";
import { ConfigError } from "../../../src/core/errors.js";
import type { RunResult, Runner } from "../../../src/core/runner.js";
import { planData } from "../../../src/ops/adopt/data.js";
import { collidingNetworks, subnetsOverlap } from "../../../src/ops/adopt/networks.js";
import { loadSuite } from "../../../src/suite/load.js";
import { sampleVars } from "../suite/vars.js";
import { planAdoption } from "../../../src/ops/adopt/plan.js";
import { adoptedConfig } from "../../../src/ops/adopt/seed-config.js";
import { readSeedSecrets, secretsInText } from "../../../src/ops/adopt/seed-secrets.js";
import { seedLocation } from "../../../src/ops/adopt/seed.js";
import { keepSeed, moveNetworksAside, restoreNetworks, restoreSeed, startSeed, stopSeed } from "../../../src/ops/adopt/steps.js";
import type { SeedContainer } from "../../../src/ops/adopt/seed-containers.js";
import { service, suite } from "../../support/make-suite.js";
import { tempDir } from "../../support/temp.js";

describe("the adopted configuration's Redis password", () => {
  const seedEnv = (extra: string) => {
    const dir = tempDir("micropod-adopt-redis-");
    const env = join(dir, ".env");
    writeFileSync(env, `${readFileSync(resolve(import.meta.dirname, "../../fixtures/seed/seed.env"), "utf8")}${extra}`);
    return { env, data: join(dir, "data"), target: join(dir, "micropod.env") };
  };
  const noStore = { secrets: new Map(), read: [], ignored: [], problems: [] };

  it("is generated when the seed has none (its Redis ran without), persisted with the others, not refused; so is search's, as the seed's post leaves it blank", async () => {
    const { env, data, target } = seedEnv("");
    writeFileSync(env, readFileSync(env, "utf8").replace(/^ELASTIC_PASSWORD=.*$/m, 'ELASTIC_PASSWORD=""'));
    const adopted = await adoptedConfig(env, noStore, data, target);
    expect(adopted.generated).toEqual(["REDIS_PASSWORD", "ELASTIC_PASSWORD"]);
    for (const n of adopted.generated) {
      expect(adopted.persist.get(n)).toMatch(/^[A-Za-z0-9]{32}$/);
      // What micropod will run with: the persisted value, nothing left to generate at start.
      expect(adopted.config.vars[n]).toBe(adopted.persist.get(n));
    }
    expect(adopted.config.generatedSecrets).toEqual([]);
  });

  it("the replication password is wanted only with the read replica's profile on, and then generated: the seed had no replica", async () => {
    const off = seedEnv("REDIS_PASSWORD=the-seeds-own\n");
    expect((await adoptedConfig(off.env, noStore, off.data, off.target)).generated).toEqual([]);
    const on = seedEnv("REDIS_PASSWORD=the-seeds-own\nCOMPOSE_PROFILES=postgresql-replica\n");
    const adopted = await adoptedConfig(on.env, noStore, on.data, on.target);
    expect(adopted.generated).toEqual(["REPLICATION_PASSWORD"]);
    expect(adopted.config.vars.REPLICATION_PASSWORD).toBe(adopted.persist.get("REPLICATION_PASSWORD"));
  });

  it("is the seed's own when its .env sets one", async () => {
    const { env, data, target } = seedEnv("REDIS_PASSWORD=the-seeds-own\n");
    const adopted = await adoptedConfig(env, noStore, data, target);
    expect(adopted.generated).toEqual([]);
    expect(adopted.persist.has("REDIS_PASSWORD")).toBe(false);
    expect(adopted.config.vars.REDIS_PASSWORD).toBe("the-seeds-own");
  });
});

describe("the seed's stored secrets", () => {
  it("are read in the forms Mastodon's tools print them", () => {
    expect(secretsInText("/p/secret.key", "\nabc123\n")).toEqual([{ name: "SECRET_KEY", value: "abc123", file: "/p/secret.key", line: 2 }]);
    expect(secretsInText("/p/otp.key", "one\ntwo\n")).toEqual([]);
    expect(secretsInText("/p/vapid.keys", "VAPID_PRIVATE_KEY=priv=\nVAPID_PUBLIC_KEY=pub\n").map((s) => [s.name, s.value, s.line])).toEqual([
      ["VAPID_PRIVATE_KEY", "priv=", 1],
      ["VAPID_PUBLIC_KEY", "pub", 2],
    ]);
    // Mastodon's db:encryption:init: a sentence, a blank line, then the assignments.
    const init = "Add these secret environment variables to your Mastodon environment (e.g. .env.production): \n\nACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY=d\nACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT=s\nACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY=p\n";
    expect(secretsInText("/p/activerecord.keys", init).map((s) => [s.name, s.value, s.line])).toEqual([
      ["ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "d", 3],
      ["ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "s", 4],
      ["ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", "p", 5],
    ]);
    // Rails' credentials form, as the seed's authors' template writes it.
    const yaml = "Add this entry to the credentials of the target environment: \n\nactive_record_encryption:\n  primary_key: p\n  deterministic_key: d\n  key_derivation_salt: s\n";
    expect(secretsInText("/p/activerecord.keys", yaml).map((s) => [s.name, s.value])).toEqual([
      ["ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", "p"],
      ["ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "d"],
      ["ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "s"],
    ]);
    // A copy of .env.production: Mastodon's names; only what micropod would generate is taken.
    const production = "LOCAL_DOMAIN=example.org\nDB_PASS='pw'\nSECRET_KEY_BASE=\"skb\"\nSMTP_PASSWORD=mail\nOTP_SECRET=otp\n";
    expect(secretsInText("/p/backup.env.production", production).map((s) => [s.name, s.value])).toEqual([
      ["DB_PASS", "pw"],
      ["SECRET_KEY", "skb"],
      ["OTP_SECRET", "otp"],
    ]);
  });

  it("two files holding different values for one secret are a problem naming both; a missing directory holds none", async () => {
    const dir = tempDir("micropod-seed-secrets-");
    writeFileSync(join(dir, "secret.key"), "one\n");
    writeFileSync(join(dir, "backup.env.production"), "SECRET_KEY_BASE=two\n");
    writeFileSync(join(dir, "mastodon.owner.credentials"), "password: x\n");
    const s = await readSeedSecrets(dir);
    expect(s.secrets.get("SECRET_KEY")?.value).toBe("one");
    expect(s.ignored).toEqual([join(dir, "mastodon.owner.credentials")]);
    expect(s.problems).toEqual([{ file: join(dir, "backup.env.production"), line: 1, path: "SECRET_KEY", message: `differs from ${join(dir, "secret.key")}:1: the seed stored two values; keep the one its database was written with in one place` }]);
    expect((await readSeedSecrets(join(dir, "nope"))).secrets.size).toBe(0);
  });
});

describe("subnet overlap", () => {
  it.each([
    ["10.89.0.0/24", "10.89.0.0/24", true],
    ["10.89.0.0/16", "10.89.5.0/24", true],
    ["10.89.0.0/24", "10.89.1.0/24", false],
    ["fd00:10:89::/64", "fd00:10:89::/48", true],
    ["fdca:1db3:f328:2d7c::/64", "fd00:10:89::/64", false],
    ["10.89.0.0/24", "fd00:10:89::/64", false],
  ])("%s and %s: %s", (a, b, overlap) => expect(subnetsOverlap(a, b)).toBe(overlap));
});

const seedContainer = (name: string, over: Partial<SeedContainer> = {}): SeedContainer => ({
  id: `${name}-id`, name, image: "seed", running: true, labels: {}, restartPolicy: "always", networkMode: "bridge", mounts: [], networks: [], createCommand: [], ...over,
});

describe("pairing micropod's data directories with the seed's", () => {
  const demo = suite([
    service("postgresql", { volumes: [{ type: "bind", source: "/d/postgresql", target: "/var/db/postgres", readOnly: false }] }),
    service("web", { volumes: [{ type: "bind", source: "/d/mastodon/system", target: "/sys", readOnly: false }, { type: "bind", source: "/etc/ssl", target: "/ssl", readOnly: true }] }),
    service("redis", { volumes: [{ type: "bind", source: "/d/redis", target: "/var/db/redis", readOnly: false }] }),
  ]);
  const mount = (source: string, destination: string) => ({ type: "bind", source, destination, readWrite: true });

  it("reuses the same path, moves (or copies) another, creates what the seed did not have; paths outside DATA_DIR are not data", () => {
    const seeds = [
      seedContainer("postgresql", { successor: "postgresql", mounts: [mount("/d/postgres", "/var/db/postgres")] }),
      seedContainer("mastodon-web", { successor: "web", mounts: [mount("/d/mastodon/system", "/sys")] }),
    ];
    expect(planData(demo, seeds, "/d", { copy: false, database: "postgresql" })).toEqual({
      steps: [
        { path: "/d/mastodon/system", services: ["web"], action: "reuse", from: "/d/mastodon/system", seedContainer: "mastodon-web" },
        { path: "/d/postgresql", services: ["postgresql"], action: "move", from: "/d/postgres", seedContainer: "postgresql" },
        { path: "/d/redis", services: ["redis"], action: "new" },
      ],
      problems: [],
    });
    expect(planData(demo, seeds, "/d", { copy: true, database: "postgresql" }).steps[1]!.action).toBe("copy");
  });

  it("refuses a database without its data, and two seed directories for one of micropod's", () => {
    const seeds = [
      seedContainer("postgresql", { successor: "postgresql", mounts: [mount("/d/pg", "/elsewhere")] }),
      seedContainer("mastodon-web", { successor: "web", mounts: [mount("/d/a", "/sys")] }),
      seedContainer("mastodon-web-2", { successor: "web", mounts: [mount("/d/b", "/sys")] }),
    ];
    expect(planData(demo, seeds, "/d", { copy: false, database: "postgresql" }).problems).toEqual([
      { path: "/d/postgresql", message: "no seed container of postgresql mounts a directory here: adopting would start an empty database" },
      { path: "/d/mastodon/system", message: "the seed mounts different directories here (/d/a in mastodon-web, /d/b in mastodon-web-2): which one holds the data is not for micropod to guess" },
    ]);
  });
});

describe("the seed's networks in the way of the bundled suite's two", () => {
  it("a seed network on either of micropod's subnets is moved aside; one under micropod's name with other subnets is refused", async () => {
    const bundled = await loadSuite(resolve(import.meta.dirname, "../../../containerfiles/compose.yaml"), sampleVars);
    const net = (name: string, subnet: string) => ({ name, driver: "bridge", subnets: [{ subnet }], ipv6_enabled: false, labels: {} });
    const runner = new ScriptedRunner([
      [/^podman network inspect seed_front seed_back seed_apart micropod$/, { exitCode: 0, stdout: JSON.stringify([net("seed_front", "10.89.1.0/24"), net("seed_back", "10.89.0.0/16"), net("seed_apart", "10.99.0.0/24"), net("micropod", "10.89.0.0/24")]), stderr: "" }],
      [/^podman ps --all --format '\{\{\.Names\}\}' --filter network=seed_(front|back)$/, { exitCode: 0, stdout: "mastodon-web\n", stderr: "" }],
    ]);
    const seeds = [seedContainer("mastodon-web", { networks: [
      { name: "seed_front", ipv4: "10.89.1.5", aliases: [] },
      { name: "seed_back", ipv4: "10.89.0.5", aliases: ["web"] },
      { name: "seed_apart", aliases: [] },
      { name: "micropod", aliases: [] },
    ] })];
    const { moves, problems } = await collidingNetworks(runner, bundled, seeds);
    expect(moves.map((m) => [m.network.name, m.collidesWith])).toEqual([["seed_front", "micropod-frontend"], ["seed_back", "micropod"]]);
    expect(moves[1]!.connections).toEqual([{ container: "mastodon-web", ipv4: "10.89.0.5", aliases: ["web"] }]);
    expect(problems).toEqual([{ path: "networks/micropod", message: "the seed's network micropod has subnets 10.89.0.0/24, micropod's network of that name needs 10.89.0.0/24, fd00:10:89::/64" }]);
  });
});

describe("the adoption's commands", () => {
  const j = {
    containers: [
      { name: "mastodon-web", kept: "mastodon-web-seed", running: true, restartPolicy: "always", restartOff: true, stopTimeoutSec: 30 },
      { name: "mastodon-streaming", kept: "mastodon-streaming-seed", running: false, restartPolicy: "", restartOff: false },
      { name: "postgresql", kept: "postgresql-seed", running: true, restartPolicy: "unless-stopped", restartOff: true, stopTimeoutSec: 120 },
    ],
    networks: [{
      network: { name: "seed_net", driver: "bridge", subnets: [{ subnet: "10.89.0.0/24", gateway: "10.89.0.1" }], ipv6: false, internal: false, dnsEnabled: true, labels: { a: "b" } },
      collidesWith: "micropod",
      connections: [{ container: "mastodon-streaming", ipv4: "10.89.0.31", aliases: ["streaming"] }],
    }],
    snapshots: ["zroot/data@micropod-adopt-20260101T000000Z"],
  };
  const r = (cs: Command[]) => cs.map((c) => renderCommand(c));

  it("stop dependents first with their grace, keep the seed out of the boot script, and undo it all in reverse", () => {
    expect(r(stopSeed(j))).toEqual(["podman stop --time 30 mastodon-web", "podman stop --time 120 postgresql"]);
    expect(r(moveNetworksAside(j))).toEqual(["podman network disconnect seed_net mastodon-streaming", "podman network rm seed_net"]);
    expect(r(keepSeed(j))).toEqual([
      "podman rename mastodon-web mastodon-web-seed",
      "podman update --restart no mastodon-web-seed",
      "podman rename mastodon-streaming mastodon-streaming-seed",
      "podman rename postgresql postgresql-seed",
      "podman update --restart no postgresql-seed",
    ]);
    expect(r(restoreSeed(j))).toEqual([
      "podman rename mastodon-web-seed mastodon-web",
      "podman update --restart always mastodon-web",
      "podman rename mastodon-streaming-seed mastodon-streaming",
      "podman rename postgresql-seed postgresql",
      "podman update --restart unless-stopped postgresql",
    ]);
    expect(r(restoreNetworks(j))).toEqual([
      "podman network create --driver bridge --label a=b --subnet 10.89.0.0/24 --gateway 10.89.0.1 seed_net",
      "podman network connect --ip 10.89.0.31 --alias streaming seed_net mastodon-streaming",
    ]);
    expect(r(startSeed(j))).toEqual(["podman start postgresql", "podman start mastodon-web"]);
  });
});

/** Answers podman's read-only questions from a table; anything else is a test failure. */
class ScriptedRunner implements Runner {
  constructor(private readonly answers: ReadonlyArray<readonly [RegExp, RunResult]>) {}
  async run(c: Command, opts: { allowFailure?: boolean } = {}): Promise<RunResult> {
    const line = renderCommand(c);
    if (c.mutates !== false) throw new Error(`planning ran a changing command: ${line}`);
    const hit = this.answers.find(([re]) => re.test(line));
    if (!hit) throw new Error(`unexpected command: ${line}`);
    if (hit[1].exitCode !== 0 && !opts.allowFailure) throw new Error(`${line} failed`);
    return hit[1];
  }
}

describe("planning an adoption", () => {
  it("refuses seed containers podman cannot keep out of its boot script (restart=always before podman 5.1), and plans it on 5.1", async () => {
    const root = tempDir("micropod-adopt-plan-");
    const seedDir = join(root, "suite");
    mkdirSync(join(seedDir, "data", "postgres"), { recursive: true });
    mkdirSync(join(seedDir, "data", "mastodon", "system"), { recursive: true });
    // The test suite is host-networked: its database is on loopback, not a pinnable name.
    writeFileSync(join(seedDir, ".env"), readFileSync(resolve(import.meta.dirname, "../../fixtures/seed/seed.env"), "utf8").replace(/^DB_HOST=.*$/m, "DB_HOST=127.0.0.1"));
    const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, stderr: "" });
    const inspect = [{ Id: "abc", Name: "postgresql", State: { Running: true }, Config: { Labels: {}, CreateCommand: [] }, HostConfig: { RestartPolicy: { Name: "always" }, NetworkMode: "host" }, Mounts: [{ Type: "bind", Source: join(seedDir, "data", "postgres"), Destination: "/var/db/postgres", RW: true }], NetworkSettings: { Networks: {} } }];
    const runner = (version: string) => new ScriptedRunner([
      [/^podman ps --all --format json$/, ok(JSON.stringify([{ Id: "abc", Names: ["postgresql"], State: "running", Labels: {} }]))],
      [/^podman container inspect postgresql$/, ok(JSON.stringify(inspect))],
      [/^podman version/, ok(`${version}\n`)],
      [/^zfs list/, { exitCode: 1, stdout: "", stderr: "zfs: not found" }],
    ]);
    const inputs = { seed: seedLocation({ seedDir }), envFile: join(root, "micropod.env"), composeFile: resolve(import.meta.dirname, "../../ops/fixtures/adopt/compose.yaml"), dataDir: join(seedDir, "data"), copy: false, hostVariables };
    const refused = (await planAdoption(runner("4.3.1"), inputs).then(() => undefined, (e: unknown) => e)) as ConfigError;
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused.details).toEqual([
      "podman 4.3.1 cannot change a container's restart policy (podman update --restart came with 5.1): the seed's postgresql would keep restart=always and podman's boot script would start them beside micropod's; upgrade podman",
    ]);
    const plan = await planAdoption(runner("5.6.2"), inputs);
    expect(plan.restartOff).toEqual(["postgresql"]);
    expect(plan.data.map((d) => [d.action, d.from, d.path])).toEqual([
      ["new", undefined, join(seedDir, "data", "mastodon", "system")],
      ["move", join(seedDir, "data", "postgres"), join(seedDir, "data", "postgresql")],
    ]);
    expect(plan.adopted.config.generatedSecrets).toEqual([]);
    expect(plan.adopted.generated).toEqual(["REDIS_PASSWORD"]);
  });
});
