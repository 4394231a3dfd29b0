import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { renderCommand } from "../../../src/core/command.js";
import { SuiteError } from "../../../src/core/errors.js";
import { emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { planStop, stopBatchCommand } from "../../../src/engine/stop.js";
import { placementPfRules, withPlacementRules } from "../../../src/host/placement-pf.js";
import { renderPfConf } from "../../../src/host/pf-rules.js";
import { onConnection } from "../../../src/podman/connection.js";
import { stopContainers } from "../../../src/podman/container.js";
import { loadSuite } from "../../../src/suite/load.js";
import { checkPfConf } from "../../host/fakes/pf-grammar.mjs";
import { tempDir } from "../../support/temp.js";

const repo = resolve(import.meta.dirname, "../../..");
const twoHosts = join(repo, "test/fixtures/suites/two-hosts/compose.yaml");
const DATA = "ssh://root@data.example/run/podman/podman.sock";

/** The fixture with `edit` applied to its text, written to a temp directory; the load's problems, or [] when it loads. */
async function problemsOf(edit: (text: string) => string): Promise<string[]> {
  const file = join(tempDir("micropod-placement-"), "compose.yaml");
  writeFileSync(file, edit(readFileSync(twoHosts, "utf8")));
  try {
    await loadSuite(file, {});
    return [];
  } catch (e) {
    if (!(e instanceof SuiteError)) throw e;
    return e.problems.map((p) => `${p.line ?? "?"}: ${p.path}: ${p.message}`);
  }
}

describe("placement: a 2-host layout planned", async () => {
  const suite = await loadSuite(twoHosts, {});

  test("clients on the other host reach the data stores at the data host's address, on ports published there", () => {
    const env = (s: string) => suite.services.get(s)!.environment;
    // web and the scheduler run on local: every address of a data store becomes data's.
    for (const s of ["web", "sidekiq-scheduler"]) {
      expect(env(s)).toMatchObject({ DB_HOST: "192.0.2.20", DB_PORT: "5432", REDIS_URL: "redis://192.0.2.20:6379/0", ES_HOST: "192.0.2.20", ES_PORT: "9200" });
    }
    // sidekiq-default shares data's network with the stores: its addresses stay as written.
    expect(env("sidekiq-default")).toMatchObject({ DB_HOST: "10.89.0.10", REDIS_URL: "redis://redis:6379/0", ES_HOST: "opensearch" });
    expect(suite.services.get("postgresql")!.ports).toEqual(["192.0.2.20:5432:5432/tcp"]);
    // postgresql takes its peers (x-micropod peers-variable): local's address, where web and the scheduler run; not data's own.
    expect(suite.services.get("postgresql")!.environment).toEqual({ PG_HBA_PEERS: "192.0.2.10" });
    expect(suite.services.get("redis")!.environment).toEqual({});
    expect(suite.services.get("redis")!.ports).toEqual(["192.0.2.20:6379:6379/tcp"]);
    expect(suite.services.get("opensearch")!.ports).toEqual(["192.0.2.20:9200:9200/tcp"]);
    expect(suite.services.get("web")!.ports).toEqual([]);
  });

  test("one plan: every step says its host and its podman commands go to that host's podman", () => {
    const plan = planStart(suite, { vars: {} }, emptyObservedState());
    expect(plan.containers.map((c) => `${c.service}@${c.host}`)).toEqual([
      "postgresql@data", "redis@data", "opensearch@data", "web@local", "sidekiq-scheduler@local", "sidekiq-default@data",
    ]);
    for (const c of plan.containers) {
      const url = c.host === "data" ? DATA : undefined;
      const r = c.readiness;
      for (const cmd of [...c.commands, ...[r.probe, r.check, r.watch, r.wait].filter((x) => x !== undefined)]) {
        expect(cmd.argv.slice(0, 3)).toEqual(url ? ["podman", "--url", url] : ["podman", cmd.argv[1], cmd.argv[2]]);
        if (!url) expect(cmd.argv).not.toContain("--url");
      }
    }
    // web waits for postgresql healthy, across hosts: the probe runs on data.
    expect(plan.containers.find((c) => c.service === "web")!.dependsOn).toContainEqual({ service: "postgresql", condition: "service_healthy", required: true });
    expect(renderCommand(plan.containers[0]!.readiness.check!)).toBe(`podman --url ${DATA} exec placed-postgresql /bin/sh -c pg_isready`);
    // Each host gets the network and the images its own services need.
    expect(plan.networks.map((n) => `${n.name}@${n.host}`)).toEqual(["placed_backend@data", "placed_backend@local"]);
    expect(plan.pulls.map((p) => `${p.image}@${p.host}`)).toEqual([
      "docker.io/library/postgres:17@data", "docker.io/library/redis:7@data", "docker.io/opensearchproject/opensearch:2@data",
      "ghcr.io/mastodon/mastodon:v4.3.8@local", "ghcr.io/mastodon/mastodon:v4.3.8@data",
    ]);
  });

  test("stop goes to each service's host, dependents first across hosts", () => {
    const running = Object.fromEntries(
      [...suite.services.values()].map((s) => [s.containerName, { name: s.containerName, state: "running" as const, labels: {}, image: s.image, imageId: "", exitCode: 0, id: s.name }]),
    );
    const plan = planStop(suite, { ...emptyObservedState(), containers: running });
    const pg = plan.steps.find((s) => s.service === "postgresql")!;
    expect(pg.host).toBe("data");
    expect(stopBatchCommand([pg])).toEqual(onConnection(stopContainers(["placed-postgresql"], 10), DATA));
    expect(pg.after).toEqual(["sidekiq-default", "sidekiq-scheduler", "web"]);
    expect(stopBatchCommand([plan.steps.find((s) => s.service === "web")!]).argv).toEqual(["podman", "stop", "--time", "10", "placed-web"]);
  });

  test("pf on each host admits only the peers that need each port, and pfctl's grammar takes the rules", async () => {
    const data = placementPfRules(suite, "data");
    expect(data).toEqual({
      definitions: ["table <micropod-peers-5432> const { 192.0.2.10 }", "table <micropod-peers-6379> const { 192.0.2.10 }", "table <micropod-peers-9200> const { 192.0.2.10 }"],
      translation: [
        "no rdr inet proto tcp from ! <micropod-peers-5432> to 192.0.2.20 port 5432",
        "no rdr inet proto tcp from ! <micropod-peers-6379> to 192.0.2.20 port 6379",
        "no rdr inet proto tcp from ! <micropod-peers-9200> to 192.0.2.20 port 9200",
      ],
      filter: [
        "block in quick inet proto tcp from ! <micropod-peers-5432> to 192.0.2.20 port 5432",
        "block in quick inet proto tcp from ! <micropod-peers-6379> to 192.0.2.20 port 6379",
        "block in quick inet proto tcp from ! <micropod-peers-9200> to 192.0.2.20 port 9200",
      ],
    });
    // local serves nothing to data: no rules.
    expect(placementPfRules(suite, "local")).toEqual({ definitions: [], translation: [], filter: [] });
    const conf = withPlacementRules(await renderPfConf(repo, { v4: "vtnet0", v6: "vtnet0" }), data);
    expect(checkPfConf("pf.conf", conf)).toEqual([]);
    // The `no rdr` rules must come before podman's rdr-anchor (translation is first match).
    const lines = conf.split("\n");
    expect(lines.findIndex((l) => l.startsWith("no rdr"))).toBeLessThan(lines.indexOf('rdr-anchor "cni-rdr/*"'));
    // Placed after the filter rules instead, pfctl refuses them: the check above can fail.
    expect(checkPfConf("pf.conf", `${conf}\n${data.translation[0]}`)).not.toEqual([]);
  });
});

describe("placement: what cannot be placed is refused, naming the file's line and the fix", () => {
  test("a second scheduler on another host is still a second scheduler", async () => {
    const problems = await problemsOf((t) => t.replace("command: bundle exec sidekiq -q default", "command: bundle exec sidekiq -q default -q scheduler"));
    expect(problems).toEqual([
      expect.stringMatching(/^\d+: services\/sidekiq-default\/command: the scheduler queue is served by more than one container \(sidekiq-scheduler, sidekiq-default\): exactly one may run it$/),
    ]);
  });

  test("a service on a host the file does not declare", async () => {
    const problems = await problemsOf((t) => t.replace("x-micropod: { host: data }\n    networks: [backend]\n  opensearch", "x-micropod: { host: cache }\n    networks: [backend]\n  opensearch"));
    expect(problems).toEqual([expect.stringMatching(/^\d+: services\/redis\/x-micropod\/host: unknown host "cache": declare it under the top-level x-micropod: hosts: \(local, data\)$/)]);
  });

  test("a serving host without a private address: the clients' addresses cannot be derived", async () => {
    const problems = await problemsOf((t) => t.replace(', address: 192.0.2.20 }', " }"));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\d+: services\/web\/environment\/DB_HOST: names postgresql, which runs on data: give host data an address: \(its private address\) under x-micropod: hosts:$/)]),
    );
    expect(problems).toHaveLength(6); // web and the scheduler, three stores each
  });

  test("a client host without an address, a port nobody says, a URL podman does not take", async () => {
    expect(await problemsOf((t) => t.replace("local: { address: 192.0.2.10 }", "local: {}"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/services\/web\/environment\/DB_HOST: web on local reaches postgresql on data: give host local an address: under x-micropod: hosts:/)]),
    );
    expect(await problemsOf((t) => t.replace('    ES_PORT: "9200"\n', ""))).toEqual(
      expect.arrayContaining([expect.stringMatching(/services\/web\/environment\/ES_HOST: names opensearch on another host, but no port says where it listens: set ES_PORT$/)]),
    );
    expect(await problemsOf((t) => t.replace('"ssh://root@data.example/run/podman/podman.sock"', "tcp://data.example:8888"))).toEqual([
      expect.stringMatching(/x-micropod\/hosts\/data\/url: "tcp:\/\/data.example:8888" is not a podman connection URL: write unix:\/\/\/path\/podman.sock or ssh:\/\/user@host\/run\/podman\/podman.sock$/),
    ]);
  });

  test("a suite without hosts is planned exactly as before: no --url, no host column in the steps' commands", async () => {
    const suite = await loadSuite(join(repo, "test/fixtures/suites/declared-roles/compose.yaml"), {});
    expect(suite.hosts).toBeUndefined();
    const plan = planStart(suite, { vars: {} }, emptyObservedState());
    expect(plan.containers.every((c) => c.host === "local" && c.url === undefined && c.commands.every((x) => !x.argv.includes("--url")))).toBe(true);
  });
});
