import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * micropod's rc.d scripts against rc.subr's rules. FreeBSD's rc.subr reads a family of
 * `${name}_*` variables itself: a script that uses one of those names for its own knob hands
 * rc.subr a value it reads differently (`${name}_program` replaces `command`: rc.d/micropod_health
 * once had daemon(8)'s flags passed to micropod). The list below is rc.subr's, from
 * freebsd/freebsd-src: the variables rc.subr(8) (share/man/man8/rc.subr.8) documents for
 * run_rc_command, plus those libexec/rc/rc.subr's run_rc_command reads without documenting
 * (cpuset, umask, svcj, svcj_options, and `${name}_<command>_svcj_enable`); rc.subr's own
 * `_rc_namevarlist` (program chroot chdir env flags fib nice user group groups prepend setup)
 * is a subset. `${name}_enable` is the rcvar convention, which our scripts follow.
 */
const RC_SUBR_RESERVED = [
  "chdir",
  "chroot",
  "cpuset",
  "env",
  "env_file",
  "fib",
  "flags",
  "group",
  "groups",
  "limits",
  "login_class",
  "nice",
  "offcmd",
  "oomprotect",
  "prepend",
  "program",
  "setup",
  "svcj",
  "svcj_options",
  "umask",
  "user",
] as const;

const repo = resolve(import.meta.dirname, "../..");
const model = join(repo, "test/host/rc-model");
const fakes = join(repo, "test/content/fakes");
const scripts = readdirSync(join(repo, "rc.d")).sort();

/** The `${name}_*` variables a script assigns: `x=`, `: "${x:=...}"`, `eval x=`, `export x=`. */
function knobsDefined(text: string): { name: string; knobs: string[] } {
  const name = /^name="([a-z_][a-z0-9_]*)"$/m.exec(text)?.[1];
  if (!name) throw new Error("no name= line");
  const knobs = new Set<string>();
  for (const re of [new RegExp(`^\\s*(?:export\\s+|eval\\s+)?${name}_(\\w+)=`, "gm"), new RegExp(`\\$\\{${name}_(\\w+):?=`, "g")]) {
    for (const m of text.matchAll(re)) knobs.add(m[1]!);
  }
  return { name, knobs: [...knobs].sort() };
}

describe("rc.d scripts define no variable rc.subr reserves", () => {
  it.each(scripts)("rc.d/%s", (script) => {
    const { knobs } = knobsDefined(readFileSync(join(repo, "rc.d", script), "utf8"));
    expect(knobs.length).toBeGreaterThan(0);
    const clashing = knobs.filter((k) => (RC_SUBR_RESERVED as readonly string[]).includes(k) || k.endsWith("_svcj_enable"));
    expect(clashing).toEqual([]);
  });

  it("the scan finds a reserved knob where there is one", () => {
    const old = 'name="micropod_health"\nload_rc_config "$name"\n: "${micropod_health_program:=/usr/local/bin/micropod}"\nmicropod_health_user=nobody\n';
    expect(knobsDefined(old).knobs).toEqual(["program", "user"]);
  });
});

/**
 * The scripts' start, status and stop paths under a model of rc.subr (test/host/rc-model/rc.subr:
 * run_rc_command's override and pid-check rules for what these scripts use), with a fake
 * daemon(8) and limits(1) and a stand-in micropod program. The script is run as written; only the
 * three absolute paths it names (/etc/rc.subr, /usr/sbin/daemon, /var/run) point into the test's
 * directory.
 */
describe("rc.d scripts under a model of run_rc_command", () => {
  let dir: string;
  beforeEach(() => {
    // rc.subr's pid checks read ps(1).
    requireTool("ps", "procps");
    dir = tempDir("micropod-rcsubr-");
    mkdirSync(join(dir, "etc"));
    mkdirSync(join(dir, "run"));
    writeFileSync(join(dir, "micropod.env"), "DOMAIN=example.org\n");
  });
  afterEach(() => {
    for (const f of existsSync(join(dir, "run")) ? readdirSync(join(dir, "run")) : []) {
      const pid = Number(readFileSync(join(dir, "run", f), "utf8").trim());
      if (pid > 0) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          /* gone already */
        }
      }
    }
  });

  const install = (script: string) => {
    const text = readFileSync(join(repo, "rc.d", script), "utf8")
      .replace(/^\. \/etc\/rc\.subr$/m, `. ${join(model, "rc.subr")}`)
      .replaceAll("/usr/sbin/daemon", join(model, "daemon"))
      .replaceAll("/var/run/", `${join(dir, "run")}/`);
    const path = join(dir, script);
    writeFileSync(path, text, { mode: 0o755 });
    return path;
  };
  const rcConf = (lines: Record<string, string>) =>
    writeFileSync(join(dir, "etc/rc.conf"), Object.entries(lines).map(([k, v]) => `${k}="${v}"\n`).join(""));
  const run = (path: string, arg: string) => {
    const r = spawnSync("sh", [path, arg], {
      encoding: "utf8",
      timeout: 20_000,
      env: {
        PATH: `${fakes}:/usr/sbin:/usr/bin:/sbin:/bin`,
        RC_MODEL_ROOT: dir,
        FAKE_MICROPOD_LOG: join(dir, "micropod.argv"),
        FAKE_LIMITS_LOG: join(dir, "limits.argv"),
      },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const lines = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8").trim().split("\n") : []);
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
    return check();
  };

  describe("rc.d/micropod_health", () => {
    const healthConf = (knob: "micropod_health_bin" | "micropod_health_program") => ({
      micropod_health_enable: "YES",
      micropod_health_envfile: join(dir, "micropod.env"),
      micropod_health_logfile: join(dir, "health.log"),
      [knob]: join(model, "micropod"),
    });

    it("start runs `micropod health watch` under daemon(8), status finds the supervisor, stop ends it", async () => {
      const script = install("micropod_health");
      rcConf(healthConf("micropod_health_bin"));
      const start = run(script, "start");
      expect(start).toMatchObject({ code: 0, out: "Starting micropod_health.\n", err: "" });
      const daemon = join(model, "daemon");
      expect(lines("limits.argv")).toEqual([
        `uid=${process.getuid!()} -- ${daemon} -P ${dir}/run/micropod_health.pid -p ${dir}/run/micropod_health_child.pid -R 10 -H -o ${dir}/health.log -t micropod_health ${join(model, "micropod")} --json health watch --env ${dir}/micropod.env --every 2m`,
      ]);
      expect(await waitFor(() => lines("micropod.argv").length === 1)).toBe(true);
      expect(lines("micropod.argv")).toEqual([`--json health watch --env ${dir}/micropod.env --every 2m`]);

      const pid = readFileSync(join(dir, "run/micropod_health.pid"), "utf8").trim();
      expect(run(script, "status")).toMatchObject({ code: 0, out: `micropod_health is running as pid ${pid}.\n` });
      expect(run(script, "start")).toMatchObject({ code: 1, err: `micropod_health already running? (pid=${pid}).\n` });

      expect(run(script, "stop")).toMatchObject({ code: 0, out: "Stopping micropod_health.\n" });
      expect(existsSync(join(dir, "run/micropod_health_child.pid"))).toBe(false);
      expect(run(script, "status")).toMatchObject({ code: 1, out: "micropod_health is not running.\n" });
    });

    it("the old knob micropod_health_program (health install --rc wrote it) still starts the watcher, with a warning", async () => {
      const script = install("micropod_health");
      rcConf(healthConf("micropod_health_program"));
      const start = run(script, "start");
      expect(start.code).toBe(0);
      expect(start.err).toContain(
        `WARNING: micropod_health_program is obsolete (rc.subr reserves it): use micropod_health_bin (sysrc -x micropod_health_program; sysrc micropod_health_bin=${join(model, "micropod")})`,
      );
      // daemon(8) runs, with micropod as its command: not micropod given daemon's flags.
      expect(lines("limits.argv")[0]).toMatch(new RegExp(`^uid=\\d+ -- ${join(model, "daemon")} -P `));
      expect(await waitFor(() => lines("micropod.argv").length === 1)).toBe(true);
      expect(lines("micropod.argv")).toEqual([`--json health watch --env ${dir}/micropod.env --every 2m`]);
      expect(run(script, "stop").code).toBe(0);
    });

    it("refuses to start without the .env, and only when enabled", () => {
      const script = install("micropod_health");
      rcConf({ ...healthConf("micropod_health_bin"), micropod_health_envfile: join(dir, "missing.env") });
      expect(run(script, "start")).toMatchObject({ code: 1, err: expect.stringContaining(`ERROR: ${dir}/missing.env is missing`) });
      rcConf({ ...healthConf("micropod_health_bin"), micropod_health_enable: "NO" });
      expect(run(script, "start").out).toBe("Cannot 'start' micropod_health. Set micropod_health_enable to YES in /etc/rc.conf or use 'onestart' instead of 'start'.\n");
      expect(lines("limits.argv")).toEqual([]);
    });
  });

  describe("rc.d/micropod", () => {
    const bootConf = (knob: "micropod_bin" | "micropod_program") => ({
      micropod_enable: "YES",
      micropod_envfile: join(dir, "micropod.env"),
      micropod_logfile: join(dir, "micropod.log"),
      micropod_start_timeout: "30",
      [knob]: join(model, "micropod"),
    });

    it("start, status and stop run `micropod start`, `status` and `stop` with the suite's .env", () => {
      const script = install("micropod");
      rcConf(bootConf("micropod_bin"));
      expect(run(script, "start")).toMatchObject({ code: 0, out: "Starting micropod.\n", err: "" });
      expect(run(script, "status")).toMatchObject({ code: 0, out: "fake micropod status\n" });
      expect(run(script, "stop")).toMatchObject({ code: 0, out: "Stopping micropod.\n", err: "" });
      const env = `${dir}/micropod.env`;
      expect(lines("micropod.argv")).toEqual([`--json start --env ${env}`, `status --env ${env}`, `--json stop --env ${env}`]);
    });

    it("the old knob micropod_program still works, with a warning, and never reaches rc.subr", () => {
      const script = install("micropod");
      rcConf(bootConf("micropod_program"));
      const start = run(script, "start");
      expect(start.code).toBe(0);
      expect(start.err).toContain(`WARNING: micropod_program is obsolete (rc.subr reserves it): use micropod_bin (sysrc -x micropod_program; sysrc micropod_bin=${join(model, "micropod")})`);
      expect(lines("micropod.argv")).toEqual([`--json start --env ${dir}/micropod.env`]);
    });
  });
});
