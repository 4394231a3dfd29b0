import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { repoRoot, runMicropod } from "../support/cli.js";
import { tempDir } from "../support/temp.js";

/** `micropod plan` of a suite placed on two hosts: the hosts, the derived addresses, each host's pf rules, each step's host. */
describe("micropod plan on a 2-host layout", () => {
  const compose = join(repoRoot, "test/fixtures/suites/two-hosts/compose.yaml");
  const env = () => {
    const dir = tempDir("micropod-placement-cli-");
    const file = join(dir, "test.env");
    writeFileSync(file, `DOMAIN=example.org\nMY_MAIL_HOST=mail.example.org\nIP4_ADDRESS=127.0.0.1\nDATA_DIR=${dir}/data\nLOG_DIR=${dir}/log\n`);
    return file;
  };

  it("shows where each service runs, what its clients are told, and what each host's firewall admits", () => {
    const r = runMicropod(["plan", "--compose", compose, "--env", env(), "--fresh", "--commands"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toContain("Hosts:\n  local (local podman, 192.0.2.10): web, sidekiq-scheduler\n  data (ssh://root@data.example/run/podman/podman.sock, 192.0.2.20): postgresql, redis, opensearch, sidekiq-default\n");
    expect(text).toContain("  web: REDIS_URL=redis://192.0.2.20:6379/0 (redis on data)\n");
    expect(text).toContain("Peer hosts admitted (the services' own access rules):\n  postgresql: PG_HBA_PEERS=192.0.2.10\n");
    expect(text).toContain("pf rules on data:\n  table <micropod-peers-5432> const { 192.0.2.10 }\n");
    expect(text).not.toContain("pf rules on local:");
    expect(text).toMatch(/^ {2}web on local +create +no container +waits on postgresql healthy, redis started$/m);
    expect(text).toContain("  podman --url ssh://root@data.example/run/podman/podman.sock start placed-postgresql\n");
    expect(text).toContain("  podman start placed-web\n");
  });

  it("refuses a service on an undeclared host, naming the file, line and fix", () => {
    const dir = tempDir("micropod-placement-cli-");
    const bad = join(dir, "compose.yaml");
    writeFileSync(bad, "name: x\nservices:\n  a:\n    image: docker.io/library/busybox:1\n    x-micropod: { host: elsewhere }\n");
    const r = runMicropod(["plan", "--compose", bad, "--env", env(), "--fresh"]);
    expect(r.code).toBe(ExitCode.suite);
    expect(r.stderr).toContain(`${bad}:5: services/a/x-micropod/host: unknown host "elsewhere": declare it under the top-level x-micropod: hosts: (local)`);
  });
});
