import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type Command, renderCommand } from "../../../src/core/command.js";
import type { RunResult, Runner } from "../../../src/core/runner.js";
import { isLoopback, publishedPortFindings } from "../../../src/host/published-ports.js";
import { loadSuite } from "../../../src/suite/load.js";
import { declaredPorts } from "../../../src/suite/ports.js";
import { service, suite } from "../../support/make-suite.js";
import { sampleVars } from "../suite/vars.js";

const bundledFile = resolve(import.meta.dirname, "../../../containerfiles/compose.yaml");

/** podman ps and container inspect answering for `containers` (inspect in podman 4/5's JSON shape). */
class PodmanState implements Runner {
  constructor(private readonly containers: ReadonlyArray<{ name: string; mode?: string; ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> }>) {}
  async run(c: Command): Promise<RunResult> {
    const line = renderCommand(c);
    expect(c.mutates).toBe(false);
    if (line === "podman ps --format '{{.Names}}'") return { exitCode: 0, stdout: this.containers.map((x) => `${x.name}\n`).join(""), stderr: "" };
    if (line.startsWith("podman container inspect ")) {
      const asked = c.argv.slice(3);
      const found = this.containers.filter((x) => asked.includes(x.name));
      return { exitCode: 0, stdout: JSON.stringify(found.map((x) => ({ Name: x.name, HostConfig: { NetworkMode: x.mode ?? "bridge" }, NetworkSettings: { Ports: x.ports ?? {} } }))), stderr: "" };
    }
    throw new Error(`unexpected command: ${line}`);
  }
}

const text = (fs: Awaited<ReturnType<typeof publishedPortFindings>>) => fs.map((f) => `${f.level} ${f.message}${f.fix ? ` | fix: ${f.fix}` : ""}`);

describe("compose ports as podman publishes them", () => {
  it.each([
    ["192.0.2.10:80:80/tcp", [{ hostIp: "192.0.2.10", hostPort: 80, containerPort: 80, protocol: "tcp" }]],
    ["[2001:db8::10]:443:443/tcp", [{ hostIp: "2001:db8::10", hostPort: 443, containerPort: 443, protocol: "tcp" }]],
    ["8080:80", [{ hostIp: "", hostPort: 8080, containerPort: 80, protocol: "tcp" }]],
    ["127.0.0.1::8404", [{ hostIp: "127.0.0.1", containerPort: 8404, protocol: "tcp" }]],
    ["53/udp", [{ hostIp: "", containerPort: 53, protocol: "udp" }]],
    ["9000-9001:90-91", [{ hostIp: "", hostPort: 9000, containerPort: 90, protocol: "tcp" }, { hostIp: "", hostPort: 9001, containerPort: 91, protocol: "tcp" }]],
  ])("%s", (spec, want) => {
    expect(declaredPorts(service("s", { ports: [spec] })).ports.map(({ spec: _, ...p }) => p)).toEqual(want);
  });

  it("an entry it cannot read is returned as such", () => {
    expect(declaredPorts(service("s", { ports: ["9000-9002:90-91", "http", "::1:80:80"] }))).toEqual({ ports: [], unreadable: ["9000-9002:90-91", "http", "::1:80:80"] });
  });

  it("loopback is 127.0.0.0/8 and ::1; every address and a public one are not", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "[::1]"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["", "0.0.0.0", "::", "192.0.2.10", "2001:db8::10", "10.89.0.1"].map(isLoopback)).toEqual([false, false, false, false, false, false]);
  });
});

describe("doctor's published ports", () => {
  it("the bundled suite publishes only haproxy's 80 and 443, on the public addresses or loopback", async () => {
    for (const vars of [sampleVars, { ...sampleVars, IP6_ADDRESS: "" }, { ...sampleVars, IP4_ADDRESS: "" }]) {
      const bundled = await loadSuite(bundledFile, vars);
      const findings = await publishedPortFindings(new PodmanState([]), bundled);
      expect(findings.filter((f) => f.level !== "ok")).toEqual([]);
      expect(findings.map((f) => f.message.split(":")[0])).toEqual(["haproxy", "haproxy", "haproxy", "haproxy"]);
    }
    const bundled = await loadSuite(bundledFile, sampleVars);
    expect(text(await publishedPortFindings(new PodmanState([]), bundled))).toEqual([
      "ok haproxy: 192.0.2.10:80 -> 80/tcp (mastodon-haproxy is not running) (public: HTTP)",
      "ok haproxy: 192.0.2.10:443 -> 443/tcp (mastodon-haproxy is not running) (public: HTTPS)",
      "ok haproxy: [2001:db8::10]:80 -> 80/tcp (mastodon-haproxy is not running) (public: HTTP)",
      "ok haproxy: [2001:db8::10]:443 -> 443/tcp (mastodon-haproxy is not running) (public: HTTPS)",
    ]);
  });

  it("lists what running containers publish and flags every public port but 80 and 443, and mappings the suite does not declare", async () => {
    const demo = suite(
      [
        service("proxy", { containerName: "demo-proxy", ports: ["192.0.2.10:80:80/tcp", "[2001:db8::10]:443:443/tcp", "127.0.0.1:8404:8404"] }),
        service("cache", { containerName: "demo-cache" }),
        service("search", { containerName: "demo-search", ports: ["9200:9200"] }),
        service("agent", { containerName: "demo-agent", networkMode: "host" }),
      ],
      { file: "/etc/micropod/compose.yaml" },
    );
    const state = new PodmanState([
      { name: "demo-proxy", ports: { "80/tcp": [{ HostIp: "192.0.2.10", HostPort: "80" }], "443/tcp": [{ HostIp: "2001:db8::10", HostPort: "443" }], "8404/tcp": [{ HostIp: "127.0.0.1", HostPort: "8404" }], "9000/tcp": null } },
      { name: "demo-cache", ports: { "6379/tcp": [{ HostIp: "", HostPort: "6379" }] } },
      { name: "node-exporter", mode: "host" },
      { name: "grafana", ports: { "3000/tcp": [{ HostIp: "0.0.0.0", HostPort: "3000" }] } },
      { name: "scratch", ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }] } },
    ]);
    expect(text(await publishedPortFindings(state, demo))).toEqual([
      "ok demo-proxy: 127.0.0.1:8404 -> 8404/tcp (loopback: stays on this host)",
      "ok demo-proxy: 192.0.2.10:80 -> 80/tcp (public: HTTP)",
      "ok demo-proxy: [2001:db8::10]:443 -> 443/tcp (public: HTTPS)",
      "fix demo-cache: *:6379 -> 6379/tcp is not among cache's ports in /etc/micropod/compose.yaml: the container predates the file | fix: micropod start (recreates it as the file says)",
      "warn node-exporter shares the host's network: every port it listens on is on the host's own addresses, and podman maps none (sockstat -46l lists them)",
      "fix grafana: *:3000 -> 3000/tcp is published on every address: only 80 and 443 need to leave the host | fix: recreate it publishing on 127.0.0.1 (-p 127.0.0.1:3000:3000), or stop it: podman stop grafana",
      "ok scratch: 127.0.0.1:18080 -> 8080/tcp (loopback: stays on this host)",
      "fix search: *:9200 -> 9200/tcp (demo-search is not running) would be published on every address: only 80 and 443 need to leave the host | fix: remove it from search's ports: in /etc/micropod/compose.yaml, or publish it on 127.0.0.1 only; then micropod start",
      "fix demo-agent shares the host's network: every port it listens on is on the host's own addresses, and podman maps none (sockstat -46l lists them) | fix: give agent the suite's networks instead of network_mode: host",
    ]);
  });

  it("without a suite (no .env), podman's mappings alone; nothing at all is said once", async () => {
    expect(text(await publishedPortFindings(new PodmanState([{ name: "x", ports: { "6379/tcp": [{ HostIp: "10.0.0.5", HostPort: "6379" }] } }])))).toEqual([
      "fix x: 10.0.0.5:6379 -> 6379/tcp is published on an address other hosts reach: only 80 and 443 need to leave the host | fix: recreate it publishing on 127.0.0.1 (-p 127.0.0.1:6379:6379), or stop it: podman stop x",
    ]);
    expect(text(await publishedPortFindings(new PodmanState([])))).toEqual(["ok no container publishes a port"]);
  });
});
