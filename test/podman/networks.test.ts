import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { type Command, renderCommand } from "../../src/core/command.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import { emptyObservedState } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { containerSpec } from "../../src/engine/spec.js";
import { publishedPortFindings } from "../../src/host/published-ports.js";
import { runContainer } from "../../src/podman/container.js";
import { loadSuite } from "../../src/suite/load.js";
import type { Suite } from "../../src/suite/model.js";
import { cleanUp } from "../support/cleanup.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";

/**
 * The bundled suite's two networks on real podman: the networks micropod's own plan creates from
 * containerfiles/compose.yaml (subnets, `isolate`), and small busybox containers attached to them
 * exactly as compose.yaml attaches each service (containerSpec: its networks and static
 * addresses), listening where the data stores listen and connecting where the services connect.
 *
 * Everything runs inside a network namespace of its own (`ip netns`), holding nothing but its
 * loopback and the bridges podman creates there: the compose subnets (10.89.0.0/24, ...) exist
 * only inside it, and no packet can leave it. The sandbox's own storage and network config dir
 * keep podman's state apart; both go when the test ends.
 */
const repo = resolve(import.meta.dirname, "../..");
const sample = Object.fromEntries(parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]));
const netns = `micropod-test-${process.pid}-${randomBytes(3).toString("hex")}`;

let sb: PodmanSandbox;
let suite: Suite;
let image: string;

/** Every podman command in the test's own network namespace, with the sandbox's configuration. */
class NetnsRunner implements Runner {
  private readonly inner = new ExecaRunner();
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    const argv = c.argv[0] === "podman" ? ["nsenter", `--net=/run/netns/${netns}`, ...c.argv] : c.argv;
    return this.inner.run({ ...c, argv, env: { ...sb.env, ...(c.env ?? {}) } }, opts);
  }
}
const runner = new NetnsRunner();
const podman = (...args: string[]) => execFileSync("nsenter", [`--net=/run/netns/${netns}`, "podman", ...args], { env: { ...process.env, ...sb.env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** A busybox container, detached, attached to the networks as compose.yaml attaches `service`. */
function asService(service: string, command: string[]): Command {
  const spec = containerSpec(suite, suite.services.get(service)!);
  return runContainer({ name: spec.name, image, networks: spec.networks!, command });
}

/** Where Mastodon's processes connect to each store (web's DB_HOST/DB_PORT, ...), both families. */
function storeTargets(): Array<{ store: string; address: string; port: string }> {
  const env = suite.services.get("web")!.environment;
  const out: Array<{ store: string; address: string; port: string }> = [];
  for (const [host, port] of [["DB_HOST", "DB_PORT"], ["REDIS_HOST", "REDIS_PORT"], ["ES_HOST", "ES_PORT"]] as const) {
    const store = [...suite.services.values()].find((s) => s.networks.some((n) => n.ipv4Address === env[host]))!;
    const net = store.networks.find((n) => n.ipv4Address === env[host])!;
    out.push({ store: store.name, address: net.ipv4Address!, port: env[port]! }, { store: store.name, address: net.ipv6Address!, port: env[port]! });
  }
  return out;
}

/** web's frontend address, where nginx connects (port 3000). */
function webOnFrontend(): string {
  return suite.services.get("web")!.networks.find((n) => n.name === "frontend")!.ipv4Address!;
}

/** A shell line trying every target at once (2 s each) and printing `address:port name` for each answer. */
function probeScript(targets: ReadonlyArray<{ address: string; port: string }>): string {
  return `${targets.map((t) => `(r=$(nc -w 2 ${t.address} ${t.port} </dev/null 2>/dev/null); [ -n "$r" ] && echo "${t.address}:${t.port} $r") &`).join(" ")} wait`;
}

/**
 * Probe from a container attached as `service`: run it, exec the probe, remove it, so the
 * container is the long-running one the proxy or worker would be (and no attached `podman run
 * --rm` waits for its exit: podman 4.3.1's 20 s WaitForExit fallback, docs/engine.md, made each
 * probe ~21 s while the sandbox's runroot was long).
 */
async function probeFrom(service: string, targets: ReadonlyArray<{ address: string; port: string }>): Promise<string[]> {
  const name = containerSpec(suite, suite.services.get(service)!).name;
  await runner.run(asService(service, ["sleep", "600"]));
  try {
    const r = await runner.run({ argv: ["podman", "exec", name, "sh", "-c", probeScript(targets)] }, { timeoutMs: 60_000 });
    return r.stdout.trim().split("\n").filter(Boolean).sort();
  } finally {
    await runner.run({ argv: ["podman", "rm", "--force", "--time", "0", name] });
  }
}

beforeAll(async () => {
  requireTool("nsenter", "util-linux");
  requireTool("ip", "iproute2");
  execFileSync("ip", ["netns", "add", netns]);
  execFileSync("ip", ["-n", netns, "link", "set", "lo", "up"]);
  // sample.env's public addresses (documentation ranges), for haproxy's ports: on this
  // namespace's loopback, the only place they exist.
  execFileSync("ip", ["-n", netns, "addr", "add", "192.0.2.10/32", "dev", "lo"]);
  execFileSync("ip", ["-n", netns, "addr", "add", "2001:db8::10/128", "dev", "lo"]);
  sb = createPodmanSandbox();
  image = sb.busyboxImage();
  suite = await loadSuite(join(repo, "containerfiles", "compose.yaml"), sample);
  // The networks exactly as `micropod start` creates them.
  const plan = planStart(suite, { vars: sample, secretNames: new Set() }, emptyObservedState());
  expect(plan.networks.map((n) => n.name)).toEqual(["micropod", "micropod-frontend"]);
  for (const n of plan.networks) await runner.run(n.command);
  // The stores, each answering with its name where it listens.
  const ports = new Map(storeTargets().map((t) => [t.store, t.port]));
  for (const [store, port] of ports) await runner.run(asService(store, ["nc", "-ll", "-p", port, "-e", "/bin/echo", store]));
  await runner.run(asService("web", ["nc", "-ll", "-p", "3000", "-e", "/bin/echo", "web"]));
});

afterAll(() =>
  cleanUp(
    () => sb && podman("rm", "--all", "--force", "--time", "0"),
    () => sb && podman("network", "rm", "--force", "micropod", "micropod-frontend"),
    () => sb?.cleanup(),
    () => execFileSync("ip", ["netns", "delete", netns]),
  ),
);

describe("the bundled suite's networks on real podman", () => {
  it("live in a namespace of their own with no way out: no default route, only loopback and podman's bridges", () => {
    expect(execFileSync("ip", ["-n", netns, "route", "show", "default"], { encoding: "utf8" }).trim()).toBe("");
    expect(execFileSync("ip", ["-n", netns, "-6", "route", "show", "default"], { encoding: "utf8" }).trim()).toBe("");
    const links = execFileSync("ip", ["-n", netns, "-o", "link", "show"], { encoding: "utf8" }).split("\n").filter(Boolean).map((l) => l.split(": ")[1]!.split("@")[0]!);
    for (const l of links) expect(l).toMatch(/^(lo|podman\d+|veth\d+)$/);
    // The only addresses outside podman's subnets: on loopback.
    const addrs = execFileSync("ip", ["-n", netns, "-o", "addr", "show"], { encoding: "utf8" }).split("\n").filter((l) => l && !/ (podman\d+|veth\d+) /.test(l));
    for (const a of addrs) expect(a).toMatch(/^\d+: lo /);
  });

  it("a backend container reaches every store, by IPv4 and IPv6", async () => {
    const targets = storeTargets();
    const expected = targets.map((t) => `${t.address}:${t.port} ${t.store}`).sort();
    expect(await probeFrom("sidekiq-pull", targets)).toEqual(expected);
    expect(await probeFrom("maintaindb", targets)).toEqual(expected);
  });

  it("web, on both networks, reaches the stores and is reached from the frontend", async () => {
    const targets = storeTargets();
    const r = await runner.run({ argv: ["podman", "exec", "mastodon-web", "sh", "-c", probeScript(targets)] }, { timeoutMs: 60_000 });
    expect(r.stdout.trim().split("\n").sort()).toEqual(targets.map((t) => `${t.address}:${t.port} ${t.store}`).sort());
  });

  it.each(["nginx", "nginx-media", "varnish", "haproxy"])("%s, on the frontend, cannot connect to any store, but reaches web", async (proxy) => {
    const web = { address: webOnFrontend(), port: "3000" };
    expect(await probeFrom(proxy, [...storeTargets(), web])).toEqual([`${web.address}:3000 web`]);
  });

  it("each store was created on compose.yaml's network and addresses", () => {
    // What the containers were created with: compose.yaml's networks and addresses, nothing else.
    const created = JSON.parse(podman("container", "inspect", "mastodon-redis")) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string }> } }>;
    const nets = created[0]!.NetworkSettings.Networks;
    const redis = suite.services.get("redis")!.networks;
    expect(Object.keys(nets)).toEqual(redis.map((n) => suite.networks.get(n.name)!.podmanName));
    expect(nets.micropod).toMatchObject({ IPAddress: redis[0]!.ipv4Address, GlobalIPv6Address: redis[0]!.ipv6Address });
    expect(renderCommand(asService("redis", ["true"]))).toContain(`--network micropod --ip ${redis[0]!.ipv4Address} --ip6 ${redis[0]!.ipv6Address}`);
  });
});

describe("what the suite publishes, as doctor reads it from real podman", () => {
  it("haproxy's 80 and 443 on the public addresses pass; a store published on every address is flagged", async () => {
    const haproxy = containerSpec(suite, suite.services.get("haproxy")!);
    await runner.run(runContainer({ name: haproxy.name, image, networks: haproxy.networks!, ports: haproxy.ports!, command: ["sleep", "600"] }));
    // What a hand-made container would do: a store's port on every address of the host.
    await runner.run({ argv: ["podman", "run", "--detach", "--name", "stray-redis", "--network", "micropod-frontend", "--publish", "6379:6379", image, "sleep", "600"] });
    const findings = await publishedPortFindings(runner, suite);
    const mine = findings.filter((f) => /^(mastodon-haproxy|stray-redis|haproxy):/.test(f.message));
    expect(mine.map((f) => [f.level, f.message])).toEqual([
      ["ok", "mastodon-haproxy: 192.0.2.10:80 -> 80/tcp (public: HTTP)"],
      ["ok", "mastodon-haproxy: 192.0.2.10:443 -> 443/tcp (public: HTTPS)"],
      ["ok", "mastodon-haproxy: [2001:db8::10]:80 -> 80/tcp (public: HTTP)"],
      ["ok", "mastodon-haproxy: [2001:db8::10]:443 -> 443/tcp (public: HTTPS)"],
      ["fix", "stray-redis: *:6379 -> 6379/tcp is published on every address: only 80 and 443 need to leave the host"],
    ]);
    // Every other service of the suite publishes nothing: the containers running here list no port.
    expect(findings.filter((f) => f.level !== "ok" && !f.message.startsWith("stray-redis"))).toEqual([]);
  });
});
