import { readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ConfigError, MicropodError, NotReadyError, PrerequisiteError, SuiteError, errorLines } from "../../../src/core/errors.js";
import { requireServices } from "../../../src/engine/plan.js";
import { loadSuite } from "../../../src/suite/load.js";
import { tempDir } from "../../support/temp.js";

const fixtures = resolve(import.meta.dirname, "../../fixtures/suites");

/** The error `work` throws (it must throw a MicropodError). */
async function failure(work: () => unknown): Promise<MicropodError> {
  const err = await Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(MicropodError);
  return err as MicropodError;
}

/** The last line the CLI prints for the error: its next step, naming a command in backquotes. */
function nextStep(err: MicropodError): string {
  const last = errorLines(err).at(-1)!;
  expect(last).toMatch(/^ {2}next: .*`micropod [^`]+`/);
  return last;
}

describe("every error a user can fix ends with the next step", () => {
  it("each bundled bad suite: the compose file to edit and the plan that checks it, or the .env when a variable is missing", async () => {
    const refused = [];
    for (const name of readdirSync(fixtures)) {
      const file = join(fixtures, name, "compose.yaml");
      const err = await loadSuite(file, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) continue; // a fixture other tests load as a good suite
      expect(err, name).toBeInstanceOf(SuiteError);
      const next = nextStep(err as SuiteError);
      if ((err as SuiteError).problems.every((p) => p.message.startsWith("required variable"))) {
        expect(next).toBe("  next: set the variables named above in the .env file (see sample.env), then check it with `micropod plan --env FILE`");
      } else {
        expect(next, name).toBe(`  next: edit ${file} at the lines above, then check it with \`micropod plan --compose ${file}\``);
      }
      refused.push(name);
    }
    expect(refused).toEqual(expect.arrayContaining(["cycle", "unknown-dependency", "duplicate-address", "bad-roles", "required-variable", "stop-signals"]));
  });

  it("a .env with mistakes: the file to edit and the plan that checks it", async () => {
    const dir = tempDir("micropod-next-");
    const env = join(dir, "bad.env");
    writeFileSync(env, "DOMAIN=\nDB_PORT=70000\n");
    const err = await failure(() => loadConfig(env, { dataDirOverride: join(dir, "data") }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(errorLines(err).slice(1, -1).every((l) => l.startsWith(`  ${env}:`))).toBe(true);
    expect(nextStep(err)).toBe(`  next: edit ${env} at the lines above (sample.env documents each variable), then check it with \`micropod plan --env ${env}\``);
    const missing = await failure(() => loadConfig(join(dir, "nonexistent.env")));
    expect(nextStep(missing)).toContain(join(dir, "nonexistent.env"));
  });

  it("a service that is not in the suite: the command listing the services", async () => {
    const suite = await loadSuite(resolve(import.meta.dirname, "../../../containerfiles/compose.yaml"), { DOMAIN: "example.org" }).catch(() => undefined);
    const fake = suite ?? { file: "/suite/compose.yaml", services: new Map() };
    const err = await failure(() => requireServices(fake as Parameters<typeof requireServices>[0], ["nosuch"]));
    expect(err.details[0]).toMatch(/^nosuch is not a service of /);
    expect(nextStep(err)).toBe("  next: `micropod plan` lists the suite's services and what each waits on");
  });

  it("a missing prerequisite: its fix, or doctor when the code knows none; a service not ready: status and logs", () => {
    expect(errorLines(new PrerequisiteError("podman is not installed", "pkg install podman-suite")).at(-2)).toBe("  fix: pkg install podman-suite");
    nextStep(new PrerequisiteError("podman is not installed", "pkg install podman-suite"));
    expect(nextStep(new PrerequisiteError("no ZFS pool"))).toContain("`micropod doctor`");
    const notReady = new NotReadyError("db is not healthy after 3.0s", ["last 20 log lines of x-db:", "booting"]);
    expect(nextStep(notReady)).toBe("  next: `micropod status` shows each service's state; `micropod logs SERVICE` what it wrote");
    // The code nearest the problem names it better, and the first next step given stays.
    notReady.withNext("`micropod logs db` shows all it wrote").withNext("something later");
    expect(nextStep(notReady)).toBe("  next: `micropod logs db` shows all it wrote");
  });
});
