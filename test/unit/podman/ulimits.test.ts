import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderCommand } from "../../../src/core/command.js";
import { containerSpec } from "../../../src/engine/spec.js";
import { createContainer } from "../../../src/podman/container.js";
import { loadSuite } from "../../../src/suite/load.js";
import { createPodmanSandbox } from "../../support/podman-env.js";
import { tempDir } from "../../support/temp.js";

describe("podman create --ulimit", () => {
  it("renders each limit as NAME=SOFT:HARD in name order, after secrets and before the restart policy", () => {
    const argv = createContainer({
      name: "mastodon-opensearch",
      image: "localhost/micropod/opensearch",
      secrets: [{ name: "mastodon_elastic_password", type: "env", target: "ELASTIC_PASSWORD" }],
      ulimits: { nofile: { soft: 65536, hard: 65536 }, memlock: { soft: -1, hard: -1 } },
      restart: "always",
    }).argv;
    expect(argv).toEqual([
      "podman",
      "create",
      "--name",
      "mastodon-opensearch",
      "--secret",
      "mastodon_elastic_password,type=env,target=ELASTIC_PASSWORD",
      "--ulimit",
      "memlock=-1:-1",
      "--ulimit",
      "nofile=65536:65536",
      "--restart",
      "always",
      "localhost/micropod/opensearch",
    ]);
  });

  it("no ulimits, no flag", () => {
    expect(renderCommand(createContainer({ name: "x", image: "i", ulimits: {} }))).toBe("podman create --name x i");
  });
});

describe("--ulimit on real podman", () => {
  // The sandbox lacks CAP_SYS_RESOURCE: no limit may rise above this process's own (memlock 8 MiB
  // here), so the check lowers the soft limit under the hard one instead of asking for unlimited.
  // podman 4 also sets nofile and nproc to the host's maximum as soon as any --ulimit is given,
  // which only CAP_SYS_RESOURCE allows: the service names both, at the sandbox's defaults.
  it("a service's Compose ulimits reach the container: busybox `ulimit -l` shows them (KiB)", async () => {
    const sandbox = createPodmanSandbox();
    const dir = tempDir("micropod-ulimit-");
    // A registry-style name: the loader refuses a localhost/ image that no service builds.
    const image = sandbox.busyboxImage("docker.io/library/busybox:ulimit-test");
    const file = join(dir, "compose.yaml");
    writeFileSync(
      file,
      `name: ulimit\nservices:\n  probe:\n    image: ${image}\n    network_mode: none\n    command: ["sh", "-c", "ulimit -Sl; ulimit -Hl; ulimit -Sn"]\n` +
        `    ulimits:\n      memlock: { soft: 4194304, hard: 8388608 }\n      nofile: { soft: 1024, hard: 4096 }\n      nproc: 4096\n`,
    );
    const suite = await loadSuite(file, {});
    const argv = createContainer(containerSpec(suite, suite.services.get("probe")!)).argv;
    expect(argv.filter((a, i) => a === "--ulimit" || argv[i - 1] === "--ulimit")).toEqual([
      "--ulimit",
      "memlock=4194304:8388608",
      "--ulimit",
      "nofile=1024:4096",
      "--ulimit",
      "nproc=4096:4096",
    ]);
    sandbox.podman(argv.slice(1));
    expect(sandbox.podman(["start", "--attach", "ulimit-probe"]).trim().split("\n")).toEqual(["4096", "8192", "1024"]);
  }, 180_000);
});
