import { stripVTControlCharacters } from "node:util";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { repoRoot, runMicropod } from "../support/cli.js";
import { writeLifecycleSuite } from "../support/lifecycle-suite.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * The live view of build, start and stop, as a user on a terminal sees it: the real CLI under a
 * pseudo-terminal (util-linux `script`), on real podman in the sandbox, on the three-service
 * lifecycle suite (db healthchecked, migrate one-shot, web).
 */
let sb: PodmanSandbox;
let dir: string;
let suite: { compose: string; env: string };

beforeAll(() => {
  requireTool("script", "util-linux");
  sb = createPodmanSandbox();
  sb.busyboxImage();
  dir = join(tempDir("micropod-progress-"), "live");
  suite = writeLifecycleSuite(dir, "live");
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The verb run under a pseudo-terminal: its exit code and everything the terminal received. */
function onTerminal(verb: string): { code: number; text: string; raw: string } {
  const argv = [process.execPath, resolve(repoRoot, "bin", "micropod.js"), verb, "--env", suite.env, "--compose", suite.compose];
  // script's terminal has no size when the tests run without one: give it a terminal's.
  const r = spawnSync("script", ["-qec", `stty cols 160 rows 50 && exec ${argv.map(quote).join(" ")}`, "/dev/null"], {
    cwd: dir,
    env: { ...process.env, MICROPOD_ENV: "", MICROPOD_COMPOSE: "", ...sb.env },
    encoding: "utf8",
    timeout: 240_000,
  });
  const text = stripVTControlCharacters(r.stdout).replace(/\r/g, "");
  return { code: r.status ?? -1, text, raw: r.stdout };
}

/** Each line of the view for `step service`, in the order the terminal received them, its state only. */
function states(text: string, step: string, service: string): string[] {
  const row = new RegExp(`^${step}\\s+${service}\\s{2,}(.+)$`);
  return text.split("\n").flatMap((l) => row.exec(l)?.slice(1, 2) ?? []);
}

describe("live progress on a terminal, on real podman", () => {
  it("build, start and stop draw one line per service, updated in place; start's lines end in ready", () => {
    const build = onTerminal("build");
    expect(build.code, build.text).toBe(ExitCode.ok);
    // log-update redraws the block: lines erased in place, not appended as log lines.
    expect(build.raw).toContain("\x1b[2K");
    for (const s of ["db", "web"]) {
      const seen = states(build.text, "build", s);
      expect(seen[0]).toBe("queued");
      expect(seen.some((l) => /^building \(\d+\.\ds\)/.test(l)), `${s}: ${seen.join(" | ")}`).toBe(true);
      expect(seen.at(-1)).toMatch(/^built in \d+\.\ds$/);
    }
    expect(build.text).toContain("2 image(s) built (db, web), 0 up to date");
    // Only warnings and errors are logged on a terminal: the view says the rest.
    expect(build.text).not.toMatch(/build db: building/);

    const start = onTerminal("start");
    expect(start.code, start.text).toBe(ExitCode.ok);
    const db = states(start.text, "start", "db");
    const migrate = states(start.text, "start", "migrate");
    const web = states(start.text, "start", "web");
    for (const [name, seen] of Object.entries({ db, migrate, web })) {
      expect(seen[0], name).toBe("queued");
      expect(seen.at(-1), `${name}: ${seen.join(" | ")}`).toMatch(/^ready in \d+\.\d s$/);
    }
    expect(db).toContainEqual(expect.stringMatching(/^probing \(attempt 1, \d+\.\ds\)$/));
    expect(migrate).toContain("waiting on db healthy");
    expect(migrate).toContainEqual(expect.stringMatching(/^running to completion/));
    expect(web).toContain("waiting on db healthy, migrate completed");
    for (const s of ["db", "web"]) expect(states(start.text, "build", s).at(-1)).toBe("cached (inputs unchanged)");
    expect(start.text).toMatch(/live: 3 container\(s\) created or started/);

    const stop = onTerminal("stop");
    expect(stop.code, stop.text).toBe(ExitCode.ok);
    for (const s of ["web", "db"]) expect(states(stop.text, "stop", s).at(-1)).toBe("stopped");
  });

  it("without a terminal, start writes the plain log lines and no control sequence", () => {
    const r = runMicropod(["start", "--env", suite.env, "--compose", suite.compose], { env: sb.env, cwd: dir });
    expect(r.code, r.stderr).toBe(ExitCode.ok);
    expect(r.stderr).not.toContain("\x1b[");
    const messages = r.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(["db: started", "migrate: completed successfully", "web: started"]));
    expect(runMicropod(["stop", "--env", suite.env, "--compose", suite.compose], { env: sb.env, cwd: dir }).code).toBe(ExitCode.ok);
  });
});
