import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { lockHolder } from "../../src/core/lock.js";
import { hasExited, readContainerList } from "../../src/podman/readers.js";
import { type CliResult, runMicropod, spawnMicropod } from "../support/cli.js";
import { cmdlinesContaining } from "../podman/engine-support.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { tempDir } from "../support/temp.js";
import { writeLifecycleSuite } from "../support/lifecycle-suite.js";

/**
 * The lifecycle verbs as a user runs them: the real CLI (bin/micropod.js) against real podman in
 * the sandbox, on a three-service suite in a temp dir (db healthchecked, migrate one-shot, web).
 */
let sb: PodmanSandbox;
let root: string;

beforeAll(() => {
  sb = createPodmanSandbox();
  sb.busyboxImage();
  root = tempDir("micropod-lifecycle-");
});

function cli(suite: { compose: string; env: string }, dir: string) {
  return (...args: string[]): CliResult => runMicropod([...args, "--env", suite.env, "--compose", suite.compose], { env: sb.env, cwd: dir });
}

/** The `msg` of each JSON log line micropod wrote to stderr (non-TTY output is pino JSON). */
const messages = (stderr: string): string[] =>
  stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

/** Each container of the project as podman has it: name, state, and whether it carries micropod's config hash. */
const containers = (project: string) =>
  readContainerList(sb.podman(["ps", "--all", "--format", "json", "--filter", `label=com.docker.compose.project=${project}`])).map((c) => ({
    name: c.name,
    state: c.state,
    labelled: c.labels["micropod.config-hash"] !== undefined && c.labels["com.docker.compose.service"] !== undefined,
  }));

/** Poll (every 10 ms, at most `ms`) until `seen()`: what the test waits for before it acts. */
async function until(seen: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !seen(); ) {
    if (Date.now() > end) throw new Error(`never saw ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A time as the timeline prints it: `4.2s`, `1m05s`. */
const took = String.raw`(\d+\.\d|\d+m\d\d)s`;

const states = (project: string) =>
  readContainerList(sb.podman(["ps", "--all", "--format", "json", "--filter", `label=com.docker.compose.project=${project}`]))
    // podman's "stopped" is exited but not yet cleaned up by conmon's exit command, which lags on a loaded host.
    .map((c) => `${c.name} ${hasExited(c.state) ? "exited" : c.state}`)
    .sort();

describe("Ctrl-C during micropod start, on real podman", () => {
  /**
   * SIGINT to the real CLI at a moment given by `when`, then what must hold: exit 130, the lock
   * released, every container podman has either fully created (with micropod's labels) or absent,
   * and a second start converging to the whole suite.
   */
  async function interruptStart(project: string, when: (dir: string) => Promise<void>): Promise<{ stderr: string; before: ReturnType<typeof containers> }> {
    const dir = join(root, project);
    const suite = writeLifecycleSuite(dir, project, { readyAfterSec: 6 });
    const run = cli(suite, dir);
    expect(run("build").code).toBe(ExitCode.ok);
    const start = spawnMicropod(["start", "--env", suite.env, "--compose", suite.compose], { env: sb.env, cwd: dir });
    try {
      await when(dir);
      start.kill("SIGINT");
    } finally {
      // However the wait ended, the child must not outlive the test.
      setTimeout(() => start.kill("SIGKILL"), 60_000).unref();
    }
    const r = await start.done;
    expect([r.code, r.stdout]).toEqual([ExitCode.interrupted, ""]);
    expect(existsSync(join(dir, "data", "state", "micropod.lock"))).toBe(false);
    // The interrupted start is recorded for status --timeline, as it ended.
    const record = JSON.parse(readFileSync(join(dir, "data", "state", "last-start.json"), "utf8")) as { outcome: string; error: string };
    expect([record.outcome, record.error]).toEqual(["interrupted", expect.stringMatching(/^start interrupted/)]);
    const before = containers(project);
    for (const c of before) expect(c, `${c.name} is whole`).toEqual({ name: c.name, state: expect.stringMatching(/^(created|running|exited)$/), labelled: true });
    const again = run("start");
    expect(again.code).toBe(ExitCode.ok);
    expect(states(project)).toEqual([`${project}-db running`, `${project}-migrate exited`, `${project}-web running`]);
    expect(run("stop").code).toBe(ExitCode.ok);
    return { stderr: r.stderr, before };
  }

  it("while a healthcheck is being waited on: the probe stops, nothing more starts", async () => {
    const { stderr, before } = await interruptStart("sigprobe", async () => {
      await until(() => cmdlinesContaining("podman exec sigprobe-db").length > 0, "a probe of sigprobe-db");
      // The dependents' creates run ahead of need once db's start has returned, beside its first
      // probes: wait for both, so what the Ctrl-C finds does not depend on the host's speed.
      await until(() => ["sigprobe-migrate created", "sigprobe-web created"].every((s) => states("sigprobe").includes(s)), "sigprobe's dependents created");
    });
    expect(stderr).toContain(
      "micropod: SIGINT received: stopping: readiness checks end now; a pull, a build, or a podman rm, create or start under way, is finished first; nothing else begins (Ctrl-C again to quit at once)\n",
    );
    expect(stderr).toContain("micropod: start interrupted; not started: migrate, web\n");
    expect(before.map((c) => `${c.name} ${c.state}`).sort()).toEqual(["sigprobe-db running", "sigprobe-migrate created", "sigprobe-web created"]);
  });

  it("while containers are being created: the create under way completes, no other begins", async () => {
    const { stderr } = await interruptStart("sigcreate", async () => {
      await until(() => cmdlinesContaining("podman create --name sigcreate-").length > 0, "a podman create");
    });
    expect(stderr).toMatch(/micropod: start interrupted; not started: (db, )?migrate, web\n/);
  });
});

describe("micropod start killed with SIGKILL, then run again, on real podman", () => {
  /**
   * SIGKILL gives micropod no chance to do anything: its lock file stays behind naming a dead
   * process, a podman command it had launched runs on alone, containers may be half way (created,
   * not started). Run again, start must converge: the whole suite running, each container once,
   * nothing else of the project in podman, and the lock free.
   */
  async function killStart(project: string, when: () => Promise<void>, opts: { build?: boolean } = {}): Promise<void> {
    const dir = join(root, project);
    const suite = writeLifecycleSuite(dir, project, { readyAfterSec: 3 });
    const run = cli(suite, dir);
    if (opts.build) expect(run("build").code).toBe(ExitCode.ok);
    const lock = join(dir, "data", "state", "micropod.lock");
    const start = spawnMicropod(["start", "--env", suite.env, "--compose", suite.compose], { env: sb.env, cwd: dir });
    try {
      await when();
    } finally {
      start.kill("SIGKILL");
    }
    const killed = await start.done;
    expect(killed.code).toBe(-1); // no exit code: killed by a signal
    // The lock file is still there, naming the dead process: stale, so free.
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(start.pid);
    expect(await lockHolder(lock)).toBeUndefined();

    const again = run("start");
    expect(again.code, again.stderr).toBe(ExitCode.ok);
    expect(states(project)).toEqual([`${project}-db running`, `${project}-migrate exited`, `${project}-web running`]);
    const names = sb.podman(["ps", "--all", "--format", "{{.Names}}"]).split("\n").filter((n) => n.startsWith(`${project}-`));
    expect(names.sort()).toEqual([`${project}-db`, `${project}-migrate`, `${project}-web`]);
    expect(existsSync(lock)).toBe(false);
    expect(run("stop").code).toBe(ExitCode.ok);
  }

  it("during a build", async () => {
    await killStart("killbuild", () => until(() => cmdlinesContaining("podman build").some((l) => l.includes("localhost/killbuild/")), "a podman build of killbuild"));
  });

  it("between create and start: web exists, created, waiting for db", async () => {
    await killStart("killcreate", () => until(() => states("killcreate").includes("killcreate-web created"), "killcreate-web created"), { build: true });
  });

  it("while probing a healthcheck", async () => {
    await killStart("killprobe", () => until(() => cmdlinesContaining("podman exec killprobe-db").length > 0, "a probe of killprobe-db"), { build: true });
  });
});

describe("micropod build | start | status | logs | plan | stop on real podman", () => {
  it("runs a suite from a fresh directory through its whole life", () => {
    const dir = join(root, "life");
    const suite = writeLifecycleSuite(dir, "life");
    const run = cli(suite, dir);
    const secretsFile = join(dir, "data", "private", "secrets.env");

    const build = run("build");
    expect(build.code).toBe(ExitCode.ok);
    expect(build.stdout).toBe("2 image(s) built (db, web), 0 up to date\n");
    expect(messages(build.stderr).filter((m) => m.startsWith("build ")).map((m) => m.replace(/ \(log: .*\)$| in \d+\.\ds$/, ""))).toEqual([
      "build db: building localhost/life/db:latest",
      "build db: built",
      "build web: building localhost/life/web:latest",
      "build web: built",
    ]);
    // build creates no container and no secret.
    expect(states("life")).toEqual([]);

    const first = run("start");
    expect(first.code).toBe(ExitCode.ok);
    expect(first.stdout).toMatch(/^life: 3 container\(s\) created or started; 0 image\(s\) built, 2 up to date \(\d+\.\ds\)\n$/);
    const progress = messages(first.stderr);
    const at = (m: string | RegExp) => progress.findIndex((p) => (typeof m === "string" ? p === m : m.test(p)));
    for (const m of ["secret life_db_pass: create", "db: started", /^db: healthy after \d+\.\ds$/, "migrate: started", "migrate: completed successfully", "web: started"]) {
      expect(at(m), `progress line ${m}`).toBeGreaterThanOrEqual(0);
    }
    expect(at(/^db: healthy/)).toBeLessThan(at("migrate: started"));
    expect(at("migrate: completed successfully")).toBeLessThan(at("web: started"));
    expect(states("life")).toEqual(["life-db running", "life-migrate exited", "life-web running"]);
    // Generated secrets persisted once, owner-only; the value reached web as DB_PASS, never argv.
    const secrets = statSync(secretsFile);
    expect(secrets.mode & 0o777).toBe(0o600);
    const secretText = readFileSync(secretsFile, "utf8");
    const dbPass = /^DB_PASS=(.+)$/m.exec(secretText)![1]!;
    expect(sb.podman(["exec", "life-web", "sh", "-c", 'test "$DB_PASS" = "$1" && echo same', "sh", dbPass.replace(/^'|'$/g, "")]).trim()).toBe("same");
    expect(first.stdout + first.stderr).not.toContain(dbPass);

    const second = run("start");
    expect(second.code).toBe(ExitCode.ok);
    expect(second.stdout).toMatch(/^life: nothing to do, every container is up to date; 0 image\(s\) built, 2 up to date \(\d+\.\ds\)\n$/);
    expect(messages(second.stderr).filter((m) => /(creating|started$|building|: create$)/.test(m))).toEqual([]);
    const after = statSync(secretsFile);
    expect([after.mtimeMs, after.ino, after.mode & 0o777]).toEqual([secrets.mtimeMs, secrets.ino, 0o600]);
    expect(readFileSync(secretsFile, "utf8")).toBe(secretText);

    const status = run("status");
    expect(status.code).toBe(ExitCode.ok);
    const rows = status.stdout.trimEnd().split("\n").map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(["SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "IMAGE"]);
    expect(rows.slice(1).map(([service, state, health, , restarts, image]) => [service, state, health!.replace(/ \(.*\)$/, ""), restarts, image])).toEqual([
      ["db", "running", "healthy", "0", "localhost/life/db:latest"],
      ["migrate", "exited (0)", "completed", "0", "localhost/life/db:latest"],
      ["web", "running", "started", "0", "localhost/life/web:latest"],
    ]);

    expect(run("logs", "web")).toEqual({ code: ExitCode.ok, stdout: "web listening on example.org\n", stderr: "" });
    expect(run("logs", "migrate")).toEqual({ code: ExitCode.ok, stdout: "migrating\nmigrated\n", stderr: "" });
    expect(run("logs", "db", "--tail", "1")).toEqual({ code: ExitCode.ok, stdout: "db ready\n", stderr: "" });
    const unknown = run("logs", "nosuch");
    expect([unknown.code, unknown.stderr]).toEqual([
      ExitCode.suite,
      "micropod: no such service: nosuch\n  services: db, migrate, web\n  next: `micropod status` shows each service and its state\n",
    ]);

    // plan on the running suite: every service left alone, nothing built, and no command: nothing starts, so no probe runs.
    const plan = run("plan", "--commands");
    expect(plan.code).toBe(ExitCode.ok);
    expect(plan.stdout.split("\n")[0]).toBe("3 services: 0 to create, 3 unchanged · 0 images to build, 2 cached");
    expect(plan.stdout).toMatch(/^ {2}-\s+db\s+cached\s+cached$/m);
    expect(plan.stdout).toContain(
      [
        "  db       leave  running, unchanged",
        "  migrate  leave  completed, unchanged  waits on db healthy",
        "  web      leave  running, unchanged    waits on db healthy, migrate completed_successfully",
      ].join("\n"),
    );
    expect(plan.stdout).toContain("Nothing to change: every image is up to date and every container runs its current definition.\n");
    expect(plan.stdout.endsWith("\nCommands `micropod start` would run: none (nothing starts, so nothing waits on a healthcheck)\n")).toBe(true);

    const stop = run("stop");
    expect(stop.code).toBe(ExitCode.ok);
    expect(stop.stdout).toBe("stopped: web, db\n");
    expect(messages(stop.stderr)).toEqual(["web: stopping (grace 1s)", "web: stopped", "db: stopping (grace 2s)", "db: stopped"]);
    expect(states("life")).toEqual(["life-db exited", "life-migrate exited", "life-web exited"]);
    expect(run("stop").stdout).toBe("nothing was running\n");
  }, 300_000); // a dozen CLI runs, each a fresh node and several podman processes

  it("a healthcheck that never passes: start exits 8 naming the service, the check and its last log lines", () => {
    const dir = join(root, "sick");
    const run = cli(writeLifecycleSuite(dir, "sick", { healthTest: "echo probing; test -f /tmp/never" }), dir);
    const r = run("start");
    expect(r.code, r.stderr).toBe(ExitCode.notReady);
    expect(ExitCode.notReady).toBe(8);
    expect(r.stdout).toBe("");
    const human = r.stderr.split("\n").filter((l) => !l.startsWith("{"));
    expect(human[0]).toMatch(/^micropod: db is not healthy after \d+\.\ds: healthcheck `echo probing; test -f \/tmp\/never` failed 4 times \(exit 1: probing\)$/);
    expect(human.slice(1)).toEqual([
      "  last 20 log lines of sick-db:",
      "  db booting",
      "  db ready",
      "  next: `micropod logs db` shows all it wrote, `micropod status` what runs; once fixed, `micropod start` again",
      "",
    ]);
    expect(messages(r.stderr)).toContain("not started: migrate, web");
    expect(states("sick")).toEqual(["sick-db running", "sick-migrate created", "sick-web created"]);
    // The failed start is recorded too: db's bar ends in X, what waited on it never started.
    const chart = run("status", "--timeline");
    expect(chart.code, chart.stderr).toBe(ExitCode.ok);
    const lines = chart.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^last start \\S+: failed after ${took}: db is not healthy after `));
    expect(lines[1]).toBe("critical path: db build → db");
    const rows = lines.slice(3, 6);
    expect(rows[0]).toMatch(new RegExp(`^\\* db +=+[ .]*#*X failed ${took}$`));
    expect(rows[1]).toMatch(/^ {2}web +=+[ .]*X not started$/);
    expect(rows[2]).toMatch(/^ {2}migrate +\.*X not started$/);
    expect(run("stop").code).toBe(ExitCode.ok);
  });

  it("status --timeline: none before the first start (exit 13), then the last start drawn from what it recorded", () => {
    const dir = join(root, "timeline");
    const run = cli(writeLifecycleSuite(dir, "tl", { side: true, readyAfterSec: 3 }), dir);
    const state = join(dir, "data", "state");
    const none = run("status", "--timeline");
    expect([none.code, none.stdout]).toEqual([ExitCode.noRecord, ""]);
    expect(none.stderr).toBe(
      `micropod: no start recorded yet: ${join(state, "last-start.json")} does not exist\n  next: run \`micropod start\`; it records each start there\n`,
    );

    // A fresh start: both images built side by side, then db → migrate → web, and side on its own.
    // db takes 3 s to be healthy, so web's build ends long before migrate completes.
    expect(run("start", "--jobs", "2").code).toBe(ExitCode.ok);
    const chart = run("status", "--timeline");
    expect(chart.code, chart.stderr).toBe(ExitCode.ok);
    const lines = chart.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^last start \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: ready after ${took}$`));
    // web was ready last; it waited on migrate (completed after db was healthy), migrate on db,
    // db on its image's build. web's own build and side are branches off that chain.
    expect(lines[1]).toBe("critical path: db build → db → migrate → web");
    const rows = lines.slice(3, 7);
    expect(rows.map((l) => /^([* ]) (\S+)/.exec(l)!.slice(1).join(" "))).toEqual(["* db", "* web", "* migrate", "  side"]);
    // Every row is 80 columns at most (no terminal), its bar on the shared axis, its end time last.
    for (const l of lines.slice(2)) expect(l.length, l).toBeLessThanOrEqual(80);
    const bars = Object.fromEntries(rows.map((l) => [l.slice(2).split(" ")[0]!, l.slice(11)]));
    expect(bars.db).toMatch(new RegExp(`^ *=+[ .]*#+ +${took}$`)); // built, then started and probed until healthy
    expect(bars.web).toMatch(new RegExp(`^ *=+[ .]*#+ +${took}$`)); // built, waited, started
    expect(bars.migrate).toMatch(new RegExp(`^ *\\.+#+ +${took}$`)); // waited on db, then ran to completion
    expect(bars.side).toMatch(new RegExp(`^ *#+ +${took}$`)); // waited on nothing
    // The bars share the axis: migrate starts where db's ends; web's start follows migrate's.
    const firstOf = (bar: string, ch: string) => bar.indexOf(ch);
    expect(firstOf(bars.migrate!, "#")).toBeGreaterThanOrEqual(bars.db!.lastIndexOf("#"));
    expect(firstOf(bars.web!, "#")).toBeGreaterThanOrEqual(bars.migrate!.lastIndexOf("#"));
    expect(lines.at(-4)).toMatch(/^ {11}\+[-+]+$/);
    expect(lines.at(-3)).toMatch(/^ {11}0s +\d+s/);
    expect(lines.at(-1)).toBe("= build  . waiting  # start until ready  X failed  * critical path");

    const json = run("status", "--timeline", "--json");
    expect(json.code).toBe(ExitCode.ok);
    const record = JSON.parse(json.stdout) as { version: number; outcome: string; services: Array<{ service: string; start?: { waitedOn: unknown[] } }>; criticalPath: unknown[] };
    expect([record.version, record.outcome]).toEqual([1, "ready"]);
    expect(record.services.find((s) => s.service === "web")!.start!.waitedOn).toEqual([
      { service: "db", condition: "service_healthy" },
      { service: "migrate", condition: "service_completed_successfully" },
    ]);
    expect(record.criticalPath).toEqual([
      { service: "db", step: "build" },
      { service: "db", step: "start" },
      { service: "migrate", step: "start" },
      { service: "web", step: "start" },
    ]);
    expect(run("stop").code).toBe(ExitCode.ok);
  }, 300_000);
});
