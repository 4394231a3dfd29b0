import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Command } from "../../src/core/command.js";
import { ExitCode, MicropodError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import type { RunResult, Runner } from "../../src/core/runner.js";
import { type InstallOptions, installHealth } from "../../src/health/install.js";
import { HEALTH_RC_SCRIPT as RC_SCRIPT } from "../../src/host/rc-script.js";
import { parseEvery } from "../../src/health/schedule.js";
import { tempDir } from "../support/temp.js";

const packaged = resolve(import.meta.dirname, "../../rc.d/micropod_health");
const dir = tempDir("micropod-health-install-");

/** sysrc does not exist here: the runner records what would run (the file work is what is tested). */
class RecordingRunner implements Runner {
  readonly argvs: string[] = [];
  async run(c: Command): Promise<RunResult> {
    this.argvs.push(c.argv.join(" "));
    return { exitCode: 0, stdout: "", stderr: "" };
  }
}

function setup(name: string) {
  const root = join(dir, name);
  const runner = new RecordingRunner();
  const opts: InstallOptions = {
    root,
    mode: "rc",
    every: parseEvery("2m"),
    envFile: "/usr/local/etc/micropod/micropod.env",
    program: "/usr/local/bin/micropod",
    rcSource: packaged,
  };
  const install = (over: Partial<InstallOptions> = {}) => installHealth({ runner, logger: silentLogger() }, { ...opts, ...over });
  return { root, runner, install, script: join(root, RC_SCRIPT), backup: join(root, "var/backups/micropod_health.micropod-backup") };
}

const sysrc = (root: string) =>
  `sysrc -R ${root} micropod_health_enable=YES micropod_health_envfile=/usr/local/etc/micropod/micropod.env micropod_health_every=2m micropod_health_bin=/usr/local/bin/micropod`;
const dropOldKnob = (root: string) => `sysrc -R ${root} -i -x micropod_health_program`;

describe("micropod health install --rc", () => {
  it("installs the packaged script 0555 and enables it; a second run finds it up to date", async () => {
    const { root, runner, install, script } = setup("fresh");
    expect(await install()).toEqual([`installed ${RC_SCRIPT}`, `enabled micropod_health in rc.conf (${sysrc(root).split(" ").slice(3).join(" ")})`]);
    expect(readFileSync(script, "utf8")).toBe(readFileSync(packaged, "utf8"));
    expect(statSync(script).mode & 0o7777).toBe(0o555);
    expect((await install())[0]).toBe(`${RC_SCRIPT} is up to date`);
    expect(runner.argvs).toEqual([sysrc(root), dropOldKnob(root), sysrc(root), dropOldKnob(root)]);
    chmodSync(script, 0o755);
    expect((await install())[0]).toBe(`${RC_SCRIPT}: mode set to 555`);
    expect(statSync(script).mode & 0o7777).toBe(0o555);
  });

  it("replaces an older script micropod wrote", async () => {
    const { install, script } = setup("older");
    mkdirSync(join(script, ".."), { recursive: true });
    writeFileSync(script, "#!/bin/sh\n# managed by micropod: an older micropod_health\n", { mode: 0o555 });
    expect((await install())[0]).toBe(`installed ${RC_SCRIPT}`);
    expect(readFileSync(script, "utf8")).toBe(readFileSync(packaged, "utf8"));
  });

  it("refuses to overwrite the administrator's own micropod_health, changing nothing", async () => {
    const { runner, install, script } = setup("admin");
    mkdirSync(join(script, ".."), { recursive: true });
    const own = "#!/bin/sh\n# my own health watcher\n. /etc/rc.subr\n";
    writeFileSync(script, own, { mode: 0o755 });
    const err = await install().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MicropodError);
    expect((err as MicropodError).exitCode).toBe(ExitCode.failure);
    expect((err as MicropodError).message).toBe(`${RC_SCRIPT} exists and micropod did not write it: not replacing it`);
    expect((err as MicropodError).details).toEqual(["move it away and rerun, or rerun with `--force`, which keeps it in /var/backups"]);
    expect(readFileSync(script, "utf8")).toBe(own);
    expect(statSync(script).mode & 0o7777).toBe(0o755);
    expect(runner.argvs).toEqual([]); // nothing enabled either
  });

  it("--force replaces the administrator's micropod_health and keeps it in /var/backups, never in rc.d", async () => {
    const { root, runner, install, script, backup } = setup("admin-force");
    mkdirSync(join(script, ".."), { recursive: true });
    const own = "#!/bin/sh\n# my own health watcher\n# PROVIDE: micropod_health\n. /etc/rc.subr\n";
    writeFileSync(script, own, { mode: 0o755 });
    expect((await install({ force: true }))[0]).toBe(`replaced the administrator's ${RC_SCRIPT} (kept as /var/backups/micropod_health.micropod-backup)`);
    expect(readFileSync(script, "utf8")).toBe(readFileSync(packaged, "utf8"));
    expect(statSync(script).mode & 0o7777).toBe(0o555);
    expect(readFileSync(backup, "utf8")).toBe(own);
    expect(statSync(backup).mode & 0o7777).toBe(0o444);
    // rc(8) would run a copy that says PROVIDE if it sat in rc.d.
    expect(readdirSync(join(script, ".."))).toEqual(["micropod_health"]);
    expect(runner.argvs).toEqual([sysrc(root), dropOldKnob(root)]);
    // The replaced script is micropod's now: the next run needs no --force and keeps the backup.
    expect((await install())[0]).toBe(`${RC_SCRIPT} is up to date`);
    expect(readFileSync(backup, "utf8")).toBe(own);
  });

  it("--force is for --rc only: the cron file is never taken from the administrator", async () => {
    const { install, runner } = setup("cron-force");
    const err = await install({ mode: "cron", force: true }).catch((e: unknown) => e);
    expect((err as MicropodError).exitCode).toBe(ExitCode.usage);
    expect((err as MicropodError).message).toBe("--force applies to --rc only (the cron file is never taken from the administrator)");
    expect(runner.argvs).toEqual([]);
  });

  it("refuses a packaged script without the managed-by line (it would become the administrator's once installed)", async () => {
    const { install, script, runner } = setup("bad-package");
    const source = join(dir, "unmarked");
    writeFileSync(source, "#!/bin/sh\n# PROVIDE: micropod_health\n");
    const err = await install({ rcSource: source }).catch((e: unknown) => e);
    expect((err as MicropodError).exitCode).toBe(ExitCode.prerequisite);
    expect((err as MicropodError).message).toBe(`${source} lacks the "managed by micropod" line`);
    expect(() => statSync(script)).toThrow();
    expect(runner.argvs).toEqual([]);
  });
});
