import { spawnSync } from "node:child_process";
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { hostOptions } from "../../src/host/options.js";
import { newsyslogRule } from "../../src/host/resources/logs.js";
import { repoRoot, runMicropod } from "../support/cli.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * packaging/freebsd: the port's generated files are current (port-files.mjs), and the port's
 * own build and install recipes, run by bmake over the real distfile (make-distfile.sh) with a
 * stand-in for the ports framework (ports-mk/bsd.port.mk), stage exactly what pkg-plist lists.
 * No FreeBSD builder here: what this cannot show is in docs/packaging.md.
 */
const portDir = join(repoRoot, "packaging/freebsd/sysutils/micropod");
const portFiles = join(repoRoot, "packaging/freebsd/port-files.mjs");
const PREFIX = "/usr/local";

const run = (cmd: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}) =>
  spawnSync(cmd, args, { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, encoding: "utf8", timeout: 180_000 });

let work: string;
beforeAll(() => {
  work = tempDir("micropod-port-");
});

describe("port-files.mjs", () => {
  it("finds pkg-plist, files/ and RUN_DEPENDS as the repository says they should be", () => {
    const r = run(process.execPath, [portFiles]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("shows what a stale port lacks and fails", () => {
    const stale = join(work, "stale-port");
    cpSync(portDir, stale, { recursive: true });
    const plist = join(stale, "pkg-plist");
    writeFileSync(plist, readFileSync(plist, "utf8").replace("share/man/man8/micropod.8.gz\n", ""));
    const rc = join(stale, "files/micropod.in");
    writeFileSync(rc, readFileSync(rc, "utf8").replace("%%PREFIX%%/bin/micropod", "/usr/local/bin/micropod"));
    const r = run(process.execPath, [portFiles, "--port", stale]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\+share\/man\/man8\/micropod\.8\.gz$/m);
    expect(r.stderr).toMatch(/^-# micropod_bin \(path\): .*Default: \/usr\/local\/bin\/micropod$/m);
    expect(r.stderr).toMatch(/^\+# micropod_bin \(path\): .*Default: %%PREFIX%%\/bin\/micropod$/m);
    expect(r.stderr).toContain("port-files.mjs --write");
  });
});

describe("make-distfile.sh", () => {
  it("passes shellcheck as POSIX sh", () => {
    requireTool("shellcheck", "shellcheck");
    const r = run("shellcheck", ["-s", "sh", "packaging/freebsd/make-distfile.sh"]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("the port, staged", () => {
  let stage: string;
  let wrkdir: string;
  /** Files and links under PREFIX in the stage directory, as packing-list paths. */
  let staged: string[];
  /** The framework's packing list after the port's own post-install: pkg-plist, node_modules, rc.d. */
  let packingList: string[];

  beforeAll(() => {
    requireTool("bmake", "bmake");
    requireTool("xz", "xz-utils");
    const distdir = join(work, "distfiles");
    wrkdir = join(work, "work");
    stage = join(work, "stage");
    mkdirSync(distdir);
    mkdirSync(wrkdir);
    // The distfile from this checkout's dist/ (vitest's global setup built it); dependencies
    // from npm's cache, which `npm ci` filled: the test reaches no registry.
    const made = run("sh", [join(repoRoot, "packaging/freebsd/make-distfile.sh"), "--from-worktree", distdir], { env: { npm_config_offline: "true" } });
    expect(made.status, made.stderr).toBe(0);
    const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    expect(made.stdout.trim()).toBe(join(distdir, `micropod-${version}.tar.xz`));
    const extracted = run("tar", ["-xJf", made.stdout.trim(), "-C", wrkdir]);
    expect(extracted.status, extracted.stderr).toBe(0);
    const r = run("bmake", ["-r", "-m", join(repoRoot, "test/content/ports-mk"), "-C", portDir, `WRKDIR=${wrkdir}`, `STAGEDIR=${stage}`, `NODE_CMD=${process.execPath}`, "stage"]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);

    const root = join(stage, PREFIX);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const p = join(dir, name);
        return lstatSync(p).isDirectory() ? walk(p) : [relative(root, p)];
      });
    staged = walk(root).sort();
    packingList = readFileSync(join(wrkdir, ".PLIST.mktmp"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/^@\([^)]*\) /, "").replace(/^@sample /, ""))
      .sort();
  });

  const stagedFile = (path: string) => join(stage, PREFIX, path);

  it("stages exactly the files its packing list names", () => {
    expect(staged.length).toBeGreaterThan(400);
    expect(staged.filter((f) => !packingList.includes(f))).toEqual([]);
    expect(packingList.filter((f) => !staged.includes(f))).toEqual([]);
  });

  it("installs the rc.d scripts prepare-host installs, byte for byte, so prepare-host leaves them alone", () => {
    for (const name of ["micropod", "micropod_health"]) {
      expect(readFileSync(stagedFile(`etc/rc.d/${name}`), "utf8")).toBe(readFileSync(join(repoRoot, "rc.d", name), "utf8"));
      expect(lstatSync(stagedFile(`etc/rc.d/${name}`)).mode & 0o777).toBe(0o555);
    }
  });

  it("installs prepare-host's newsyslog rule, for the default LOG_DIR, as a sample pkg copies into place", () => {
    expect(readFileSync(stagedFile("etc/newsyslog.conf.d/micropod.conf.sample"), "utf8")).toBe(newsyslogRule(hostOptions({}).logDir));
    expect(readFileSync(join(portDir, "pkg-plist"), "utf8")).toMatch(/^@sample etc\/newsyslog\.conf\.d\/micropod\.conf\.sample$/m);
  });

  it("installs the completion its own program generates, and the manual page", () => {
    expect(readFileSync(stagedFile("share/bash-completion/completions/micropod"), "utf8")).toBe(runMicropod(["completion", "bash"]).stdout);
    expect(readFileSync(stagedFile("share/zsh/site-functions/_micropod"), "utf8")).toBe(runMicropod(["completion", "zsh"]).stdout);
    expect(gunzipSync(readFileSync(stagedFile("share/man/man8/micropod.8.gz"))).toString("utf8")).toBe(readFileSync(join(repoRoot, "man/micropod.8"), "utf8"));
  });

  it("tells the administrator to copy the configuration, with the port's ETCDIR", () => {
    const message = readFileSync(join(wrkdir, "pkg-message"), "utf8");
    expect(message.split("\n")[0]).toBe("[");
    expect(message).toContain("install -m 600 /usr/local/etc/micropod/micropod.env.sample /usr/local/etc/micropod/micropod.env");
    expect(staged).not.toContain("etc/micropod/micropod.env");
  });

  it("carries the production dependencies only, and its program plans the bundled suite from the staged package", () => {
    const modules = readdirSync(stagedFile("lib/node_modules/micropod/node_modules"));
    expect(modules).toEqual(expect.arrayContaining(["commander", "execa", "ioredis", "yaml"]));
    expect(modules.filter((m) => ["typescript", "vitest", "@types", "dockerfile-ast"].includes(m))).toEqual([]);
    expect(readFileSync(stagedFile("lib/node_modules/micropod/bin/micropod.js"), "utf8").split("\n")[0]).toBe(`#!${PREFIX}/bin/node`);

    const scratch = join(work, "plan");
    mkdirSync(scratch);
    const env = readFileSync(stagedFile("etc/micropod/micropod.env.sample"), "utf8")
      .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${join(scratch, "data")}`)
      .replace(/^LOG_DIR=.*$/m, `LOG_DIR=${join(scratch, "log")}`);
    writeFileSync(join(scratch, "micropod.env"), env);
    const r = run(process.execPath, [stagedFile("bin/micropod"), "plan", "--fresh", "--env", join(scratch, "micropod.env")], {
      cwd: scratch,
      env: { MICROPOD_ENV: "", MICROPOD_COMPOSE: "" },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^19 services: /);
    expect(r.stdout).toContain(`Suite: mastodon (${resolve(stagedFile("lib/node_modules/micropod/containerfiles/compose.yaml"))}); observed`);
  });
});
