import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { loadSuite } from "../../../src/suite/load.js";
import { tempDir } from "../../support/temp.js";

const fixtures = resolve(import.meta.dirname, "../../fixtures/suites");

describe("loadSuite", () => {
  test("anchors, aliases and << merge keys: shared fields merged, service keys win, x- fields kept", async () => {
    const suite = await loadSuite(resolve(fixtures, "merge-keys/compose.yaml"), { API_TOKEN: "t0ken" });
    const first = suite.services.get("first")!;
    const second = suite.services.get("second")!;
    expect(first.image).toBe("docker.io/library/busybox:1.36");
    expect(first.restart).toBe("always");
    expect(first.command).toEqual(["sleep", "1000"]);
    expect(first.environment).toEqual({ SHARED: "from anchor", OVERRIDDEN: "from anchor" });
    expect(first.healthcheck).toEqual({
      test: ["CMD-SHELL", "test -f /tmp/ready"],
      intervalMs: 90_000,
      timeoutMs: 500,
      retries: 2,
      startPeriodMs: 0,
      startIntervalMs: 90_000,
    });
    expect(first.secrets).toEqual([{ source: "token", target: "API_TOKEN", type: "env" }]);
    expect(first.extensions).toEqual({ "secret-type": "env" });
    expect(second.environment).toEqual({
      SHARED: "from anchor",
      OVERRIDDEN: "in service",
      EXTRA: "${NOT_INTERPOLATED} hello",
    });
    // An entry's own x-micropod type wins over the service's secret-type.
    expect(second.secrets).toEqual([{ source: "token", target: "/run/secrets/token", type: "mount" }]);
    expect(second.dependsOn).toEqual([{ service: "first", condition: "service_healthy", required: false }]);
    expect(second.healthcheck).toBeUndefined();
    expect(suite.project).toBe("fixture");
    expect([...suite.secrets.values()]).toEqual([{ name: "token", environment: "API_TOKEN" }]);
    // Neither service names a network: both join the project's default one, as in Compose.
    expect(first.networks).toEqual([{ name: "default", aliases: [] }]);
    expect([...suite.networks.values()]).toEqual([{ name: "default", podmanName: "fixture_default", external: false, ipv6: false, subnets: [] }]);
  });

  test("env_file under environment, relative paths against the compose file, ports, durations", async () => {
    const dir = resolve(fixtures, "env-file");
    const suite = await loadSuite(resolve(dir, "compose.yaml"), { DOMAIN: "example.org", DOMAIN_ONLY: "from config" });
    const app = suite.services.get("app")!;
    expect(app.environment).toEqual({
      FROM_FILE: "plain value",
      QUOTED: "line\none example.org",
      LITERAL: "${DOMAIN} stays",
      EXPORTED: "1",
      BOTH: "compose wins",
      DOMAIN_ONLY: "from config",
      FROM_COMPOSE: "yes",
    });
    expect(app.volumes).toEqual([
      { type: "bind", source: resolve(dir, "data"), target: "/data", readOnly: true },
      { type: "bind", source: "/srv/abs", target: "/abs", readOnly: false },
      { type: "volume", source: "cache", target: "/cache", readOnly: false },
      { type: "bind", source: resolve(dir, "conf"), target: "/conf", readOnly: false },
    ]);
    expect(app.ports).toEqual(["127.0.0.1:8080:80", "[::1]:8443:443/tcp"]);
    expect(app.stopGracePeriodMs).toBe(90_000);
    expect([...suite.volumes.values()]).toEqual([{ name: "fixture_cache", external: false }]);
    expect(suite.warnings).toEqual([]);
  });

  test("a missing required env_file is a problem at its path", async () => {
    const dir = tempDir("micropod-suite-");
    await writeFile(resolve(dir, "compose.yaml"), "services:\n  app:\n    image: docker.io/library/busybox:1.36\n    env_file: missing.env\n");
    const err = await loadSuite(resolve(dir, "compose.yaml"), {}).catch((e: { details: string[] }) => e);
    expect((err as { details: string[] }).details).toEqual([
      `${dir}/compose.yaml:4: services/app/env_file: cannot read ${dir}/missing.env: ENOENT`,
    ]);
  });

  test("an env secret's variable may not also be in environment; a bad address family is named", async () => {
    const dir = tempDir("micropod-suite-");
    await writeFile(
      resolve(dir, "compose.yaml"),
      [
        "services:",
        "  app:",
        "    image: docker.io/library/busybox:1.36",
        "    environment: { DB_PASS: plain }",
        "    secrets: [{ source: db, target: DB_PASS }]",
        "    x-micropod: { secret-type: env }",
        "    networks: { net: { ipv4_address: 'fd00::1' } }",
        "networks: { net: {} }",
        "secrets: { db: { environment: DB_PASS } }",
        "",
      ].join("\n"),
    );
    const err = await loadSuite(resolve(dir, "compose.yaml"), {}).catch((e: { details: string[] }) => e);
    expect((err as { details: string[] }).details.map((d) => d.replace(`${dir}/`, ""))).toEqual([
      "compose.yaml:4: services/app/environment/DB_PASS: DB_PASS is also an env secret: a secret's variable must not appear in environment",
      'compose.yaml:7: services/app/networks/net/ipv4_address: "fd00::1" is not an IPv4 address',
    ]);
  });
});
