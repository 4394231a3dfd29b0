import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { SuiteError } from "../../../src/core/errors.js";
import { loadSuite } from "../../../src/suite/load.js";
import { sampleVars } from "./vars.js";
import { tempDir } from "../../support/temp.js";

const dir = tempDir("micropod-ulimits-");

function compose(name: string, ulimits: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: fixture\nservices:\n  search:\n    image: docker.io/library/busybox:1.36\n    ulimits:\n${ulimits}`);
  return file;
}

describe("Compose ulimits", () => {
  test("a single value sets soft and hard; the long form each; unlimited and -1 are the same", async () => {
    const file = compose(
      "good",
      `      nofile: 65536\n      memlock: { soft: -1, hard: -1 }\n      stack: { soft: "8388608", hard: unlimited }\n      core: "0"\n`,
    );
    const suite = await loadSuite(file, {});
    expect(suite.services.get("search")!.ulimits).toEqual({
      nofile: { soft: 65536, hard: 65536 },
      memlock: { soft: -1, hard: -1 },
      stack: { soft: 8388608, hard: -1 },
      core: { soft: 0, hard: 0 },
    });
  });

  test("a service without ulimits has none", async () => {
    const file = join(dir, "none.yaml");
    writeFileSync(file, "name: fixture\nservices:\n  search:\n    image: docker.io/library/busybox:1.36\n");
    expect((await loadSuite(file, {})).services.get("search")!.ulimits).toBeUndefined();
  });

  test("unknown names, soft above hard and non-numbers are refused with their path and line", async () => {
    const file = compose(
      "bad",
      `      memlocks: 1\n      nofile: { soft: 8192, hard: 4096 }\n      memlock: { soft: -1, hard: 1024 }\n      nproc: lots\n      stack: -2\n`,
    );
    const err = await loadSuite(file, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SuiteError);
    const names = "as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack";
    expect((err as SuiteError).details.map((d) => d.replace(`${dir}/`, ""))).toEqual([
      `bad.yaml:6: services/search/ulimits/memlocks: is not a resource limit podman knows (${names})`,
      "bad.yaml:7: services/search/ulimits/nofile: the soft limit (8192) is above the hard limit (4096)",
      "bad.yaml:8: services/search/ulimits/memlock: the soft limit (unlimited) is above the hard limit (1024)",
      'bad.yaml:9: services/search/ulimits/nproc: must be a whole number of at least 0, or -1 / "unlimited", got "lots"',
      "bad.yaml:10: services/search/ulimits/stack: must be a whole number of at least 0, or -1 / \"unlimited\", got -2",
    ]);
  });

  test("the bundled suite gives opensearch an unlimited memlock and 65536 open files", async () => {
    const suite = await loadSuite(resolve(import.meta.dirname, "../../../containerfiles/compose.yaml"), sampleVars);
    expect(suite.services.get("opensearch")!.ulimits).toEqual({ memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } });
    expect([...suite.services.values()].filter((s) => s.ulimits).map((s) => s.name)).toEqual(["opensearch"]);
  });
});
