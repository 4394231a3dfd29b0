import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { placementPfRules, withPlacementRules } from "../../../src/host/placement-pf.js";
import { renderPfConf } from "../../../src/host/pf-rules.js";
import { emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { loadSuite } from "../../../src/suite/load.js";
import { checkPfConf } from "../../host/fakes/pf-grammar.mjs";
import { tempDir } from "../../support/temp.js";
import { sampleVars } from "./vars.js";

/**
 * The bundled suite placed on several hosts: the proxies' upstreams and PostgreSQL's peer hosts
 * follow placement like DB_HOST does (docs/scale.md, "What micropod derives").
 */
const repo = resolve(import.meta.dirname, "../../..");
const bundled = join(repo, "containerfiles/compose.yaml");
const replicaVars = { ...sampleVars, COMPOSE_PROFILES: "postgresql-replica", REPLICA_DB_HOST: "10.89.0.15", REPLICA_DB_PORT: "5433", REPLICA_DB_NAME: "mastodon", REPLICA_DB_USER: "mastodon", REPLICATION_PASSWORD: "replication-secret-value" };

/**
 * The bundled file with `hosts` declared and each service of `placed` on its host, loaded from a
 * temp directory whose build contexts point back at containerfiles/. A service with its own
 * x-micropod block gets `host:` added to it; one that merges the block from an anchor (web,
 * sidekiq) gets its own, keeping the anchor's secret-type.
 */
async function loadPlaced(hosts: Record<string, string>, placed: Record<string, string>, vars: Record<string, string>) {
  let text = readFileSync(bundled, "utf8");
  const declared = Object.entries(hosts).map(([h, address]) => `    ${h}: { ${h === "local" ? "" : `url: ssh://root@${h}.example/run/podman/podman.sock, `}address: ${address} }\n`).join("");
  text = text.replace("x-micropod:\n  roles:", `x-micropod:\n  hosts:\n${declared}  roles:`);
  for (const [service, host] of Object.entries(placed)) {
    const at = text.indexOf(`\n  ${service}:\n`);
    expect(at, service).toBeGreaterThan(0);
    const end = text.slice(at + 1).search(/\n {2}[a-z][a-z0-9-]*:\n/) + at + 1;
    const section = text.slice(at, end);
    const own = section.indexOf("\n    x-micropod:\n");
    const edited = own >= 0
      ? `${section.slice(0, own)}\n    x-micropod:\n      host: ${host}\n${section.slice(own + "\n    x-micropod:\n".length)}`
      : section.replace(/\n( {4}container_name: [^\n]+\n)/, `\n$1    x-micropod: { host: ${host}${/<<: \*(mastodon|sidekiq)\n/.test(section) ? ", secret-type: env" : ""} }\n`);
    text = text.slice(0, at) + edited + text.slice(end);
  }
  const file = join(tempDir("micropod-placed-bundled-"), "compose.yaml");
  writeFileSync(file, text.replace(/context: \.\//g, `context: ${join(repo, "containerfiles")}/`));
  return loadSuite(file, vars);
}

const PROXIES = ["nginx", "nginx-media", "varnish", "haproxy"];

describe("the proxies on a host of their own", async () => {
  const suite = await loadPlaced({ local: "192.0.2.10", edge: "192.0.2.50" }, Object.fromEntries(PROXIES.map((p) => [p, "edge"])), sampleVars);

  test("nginx reaches web and streaming at local's address on the ports they publish there; the hops among the proxies stay as written", () => {
    const env = (s: string) => suite.services.get(s)!.environment;
    expect(env("nginx")).toMatchObject({ NGINX_WEB_HOST: "192.0.2.10", NGINX_WEB_PORT: "3000", NGINX_STREAMING_HOST: "192.0.2.10", NGINX_STREAMING_PORT: "4000" });
    expect(env("varnish")).toMatchObject({ VARNISH_BACKEND_HOST: "10.89.1.40", VARNISH_BACKEND_PORT: "80" });
    expect(env("haproxy")).toMatchObject({ HAPROXY_VARNISH_HOST: "10.89.1.50", HAPROXY_MEDIA_HOST: "10.89.1.41" });
    expect(suite.links!.map((l) => `${l.client}@${l.clientHost} ${l.variable}=${l.value} -> ${l.server}@${l.serverHost}:${l.port}`)).toEqual([
      "nginx@edge NGINX_WEB_HOST=192.0.2.10 -> web@local:3000",
      "nginx@edge NGINX_STREAMING_HOST=192.0.2.10 -> streaming@local:4000",
    ]);
    expect(suite.services.get("web")!.ports).toEqual(["192.0.2.10:3000:3000/tcp"]);
    expect(suite.services.get("streaming")!.ports).toEqual(["192.0.2.10:4000:4000/tcp"]);
    // No PostgreSQL client left local: no peers.
    expect(env("postgresql").PG_HBA_PEERS).toBeUndefined();
  });

  test("the plan creates the proxies on edge and web and streaming on local", () => {
    const plan = planStart(suite, { vars: sampleVars }, emptyObservedState());
    const hostOfStep = (s: string) => plan.containers.find((c) => c.service === s)!.host;
    expect([...PROXIES, "web", "streaming"].map((s) => `${s}@${hostOfStep(s)}`)).toEqual(["nginx@edge", "nginx-media@edge", "varnish@edge", "haproxy@edge", "web@local", "streaming@local"]);
    const nginx = plan.containers.find((c) => c.service === "nginx")!.commands[0]!.argv;
    expect(nginx).toEqual(expect.arrayContaining(["--env", "NGINX_WEB_HOST=192.0.2.10", "--env", "NGINX_STREAMING_HOST=192.0.2.10"]));
    expect(plan.containers.find((c) => c.service === "web")!.commands[0]!.argv).toEqual(expect.arrayContaining(["--publish", "192.0.2.10:3000:3000/tcp"]));
  });

  test("pf on local admits edge on 3000 and 4000 only, and pfctl's grammar takes the rules", async () => {
    const local = placementPfRules(suite, "local");
    expect(local).toEqual({
      definitions: ["table <micropod-peers-3000> const { 192.0.2.50 }", "table <micropod-peers-4000> const { 192.0.2.50 }"],
      translation: ["no rdr inet proto tcp from ! <micropod-peers-3000> to 192.0.2.10 port 3000", "no rdr inet proto tcp from ! <micropod-peers-4000> to 192.0.2.10 port 4000"],
      filter: ["block in quick inet proto tcp from ! <micropod-peers-3000> to 192.0.2.10 port 3000", "block in quick inet proto tcp from ! <micropod-peers-4000> to 192.0.2.10 port 4000"],
    });
    expect(placementPfRules(suite, "edge")).toEqual({ definitions: [], translation: [], filter: [] });
    expect(checkPfConf("pf.conf", withPlacementRules(await renderPfConf(repo, { v4: "vtnet0", v6: "vtnet0" }), local))).toEqual([]);
  });
});

test("haproxy alone on edge: varnish and nginx-media would both publish port 80 on local's address, and that is refused", async () => {
  const err = await loadPlaced({ local: "192.0.2.10", edge: "192.0.2.50" }, { haproxy: "edge" }, sampleVars).catch((e: unknown) => e);
  expect((err as { problems: { path: string; message: string }[] }).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
    "services/haproxy/environment/HAPROXY_MEDIA_HOST: names nginx-media on port 80, which varnish on local publishes there too (for haproxy): one address cannot publish a port twice; place one of them on another host",
  ]);
});

describe("PostgreSQL told the hosts whose services connect to it", () => {
  test("one host: no PG_HBA_PEERS", async () => {
    const suite = await loadSuite(bundled, replicaVars);
    expect(suite.services.get("postgresql")!.environment.PG_HBA_PEERS).toBeUndefined();
    expect(suite.services.get("postgresql-replica")!.environment.PG_HBA_PEERS).toBeUndefined();
  });

  test("the replica on db2 and a Sidekiq on jobs: the primary admits both hosts, the replica admits the hosts that read from it", async () => {
    const suite = await loadPlaced({ local: "192.0.2.10", db2: "192.0.2.30", jobs: "192.0.2.40" }, { "postgresql-replica": "db2", "sidekiq-pull": "jobs" }, replicaVars);
    // The primary: the replica (replication, PG_PRIMARY_HOST) from db2, sidekiq-pull's DB_HOST from jobs.
    expect(suite.services.get("postgresql")!.environment.PG_HBA_PEERS).toBe("192.0.2.30 192.0.2.40");
    // The replica: every Mastodon process's REPLICA_DB_HOST, from local and from jobs.
    expect(suite.services.get("postgresql-replica")!.environment.PG_HBA_PEERS).toBe("192.0.2.10 192.0.2.40");
    expect(suite.services.get("postgresql-replica")!.environment).toMatchObject({ PG_PRIMARY_HOST: "192.0.2.10", PG_PRIMARY_PORT: "5432" });
    expect(placementPfRules(suite, "local").definitions).toContain("table <micropod-peers-5432> const { 192.0.2.30 192.0.2.40 }");
    expect(placementPfRules(suite, "db2").definitions).toEqual(["table <micropod-peers-5433> const { 192.0.2.10 192.0.2.40 }"]);
  });

  test("peers-variable must name a variable", async () => {
    const file = join(tempDir("micropod-peers-"), "compose.yaml");
    writeFileSync(file, readFileSync(bundled, "utf8").replace("peers-variable: PG_HBA_PEERS", "peers-variable: pg hba").replace(/context: \.\//g, `context: ${join(repo, "containerfiles")}/`));
    await expect(loadSuite(file, sampleVars)).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: "services/postgresql/x-micropod/peers-variable", message: "must be the name of an environment variable (e.g. PG_HBA_PEERS), which placement fills with the addresses of the hosts that reach this service" })],
    });
  });
});
