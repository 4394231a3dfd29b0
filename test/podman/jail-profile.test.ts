import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import type { Command } from "../../src/core/command.js";
import { ExitCode, MicropodError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import { JAIL_PROFILES, JAIL_PROFILE_ANNOTATION, readJlsNameValues } from "../../src/engine/jail-profile.js";
import { startSuite } from "../../src/engine/start.js";
import { jailProfileFindings } from "../../src/host/doctor.js";
import { readContainerList } from "../../src/podman/readers.js";
import { service, suite } from "../support/make-suite.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { tempDir } from "../support/temp.js";

/**
 * A jail profile is checked in the jail once the container started, because ocijail ignores a
 * failing hook. Real podman runs runc registered under the name "ocijail" (so podman reports the
 * container's OCIRuntime as ocijail); what ocijail does around the hooks is played by two test
 * hooks (test/content/fakes): `ocijail-state` writes <state dir>/<id>/state.json with the jail id
 * as ocijail does before its createRuntime hooks, and `ocijail-hook` runs the real
 * hooks.d/micropod-jail.sh ignoring its exit status, as ocijail does. jail(8) and jls(8) are
 * fakes sharing the jail's parameters in files.
 */
const repo = resolve(import.meta.dirname, "../..");
const fakes = join(repo, "test/content/fakes");
let work: string;
let sb: PodmanSandbox;
const jails = () => join(work, "jails");
const stateDir = () => join(work, "ocijail");
const jailLog = () => join(work, "jail.argv");

beforeAll(() => {
  work = tempDir("micropod-jailprofile-");
  const hooks = join(work, "hooks.d");
  for (const d of [hooks, jails(), stateDir()]) mkdirSync(d);
  const env = [
    `PATH=${fakes}:/usr/sbin:/usr/bin:/sbin:/bin`,
    `MICROPOD_OCIJAIL_STATE_DIR=${stateDir()}`,
    `FAKE_JAILS=${jails()}`,
    `FAKE_JAIL_LOG=${jailLog()}`,
    `FAKE_LOGGER_LOG=${join(work, "logger.log")}`,
  ];
  copyFileSync(join(repo, "hooks.d/micropod-jail.sh"), join(work, "micropod-jail.sh"));
  // Hooks of one stage run in the lexical order of their files: ocijail's state first.
  writeFileSync(join(hooks, "00-ocijail-state.json"), JSON.stringify({ version: "1.0.0", hook: { path: join(fakes, "ocijail-state"), env }, when: { always: true }, stages: ["createRuntime"] }));
  const shipped = JSON.parse(readFileSync(join(repo, "hooks.d/micropod-jail.json"), "utf8"));
  shipped.hook = { path: join(fakes, "ocijail-hook"), args: ["ocijail-hook", join(work, "micropod-jail.sh")], env };
  writeFileSync(join(hooks, "micropod-jail.json"), JSON.stringify(shipped));
  sb = createPodmanSandbox({ hooksDir: hooks, runtimeName: "ocijail" });
  sb.busyboxImage();
});

beforeEach(() => {
  rmSync(`${jailLog()}.fail`, { force: true });
  try {
    sb.podman(["rm", "--force", "--time", "0", "jp-db"]);
  } catch {
    /* not there */
  }
});

/** Real podman with the sandbox's configuration; the fake jls and the jails' files on PATH. */
class JailRunner implements Runner {
  private readonly inner = new ExecaRunner();
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    return this.inner.run({ ...c, env: { ...sb.env, PATH: `${fakes}:${process.env.PATH}`, FAKE_JAILS: jails(), ...(c.env ?? {}) } }, opts);
  }
}

const dbSuite = (profile: string) =>
  suite([service("db", { project: "jp", image: "localhost/busybox:test", command: ["sleep", "300"], annotations: { [JAIL_PROFILE_ANNOTATION]: profile }, stopGracePeriodMs: 1000 })], { project: "jp" });
const start = (profile: string) =>
  startSuite(
    dbSuite(profile),
    { vars: {} },
    { lock: join(work, "state", "lock"), state: join(work, "state"), logs: join(work, "logs") },
    { runner: new JailRunner(), clock: systemClock, logger: silentLogger(), signal: new AbortController().signal, ocijailStateDir: stateDir() },
  );
const state = () => readContainerList(sb.podman(["ps", "--all", "--format", "json", "--filter", "name=jp-db"]))[0]?.state;

describe("the jail profile after start", () => {
  it("the hook applied it: the start completes and the jail has the profile's parameters", async () => {
    await start("postgresql");
    expect(state()).toBe("running");
    const jid = (JSON.parse(sb.podman(["container", "inspect", "jp-db"]))[0] as { Id: string }).Id;
    const jail = JSON.parse(readFileSync(join(stateDir(), jid, "state.json"), "utf8")) as { jid: number };
    expect(readFileSync(join(jails(), String(jail.jid)), "utf8")).toContain("sysvmsg=new\nsysvsem=new\nsysvshm=new\n");
  });

  it("the hook failed and ocijail started the container anyway: the start fails naming what is missing, and the container is stopped", async () => {
    writeFileSync(`${jailLog()}.fail`, "");
    const err = await start("postgresql").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MicropodError);
    expect((err as MicropodError).exitCode).toBe(ExitCode.prerequisite);
    expect((err as MicropodError).message).toMatch(
      /^db: the jail profile postgresql is not in effect in jail \d+: sysvmsg is disable, the profile needs new; sysvsem is disable, the profile needs new; sysvshm is disable, the profile needs new; jp-db was stopped$/,
    );
    expect((err as MicropodError).details[0]).toContain("grep micropod-jail /var/log/messages");
    expect(state()).not.toBe("running");
  });

  it("doctor reports a running container whose jail lacks its profile, and one that has it", async () => {
    writeFileSync(`${jailLog()}.fail`, "");
    sb.podman(["run", "--detach", "--name", "jp-db", "--annotation", `${JAIL_PROFILE_ANNOTATION}=opensearch`, "localhost/busybox:test", "sleep", "300"]);
    const missing = await jailProfileFindings(new JailRunner(), stateDir());
    expect(missing).toEqual([
      {
        level: "fix",
        subject: "jail-profile",
        message: expect.stringMatching(
          /^jp-db: the opensearch profile is not in effect in jail \d+: allow\.mount is off, the profile needs it on; allow\.mount\.fdescfs is off, the profile needs it on; allow\.mount\.procfs is off, the profile needs it on; allow\.mlock is off, the profile needs it on$/,
        ),
        fix: expect.stringContaining("micropod stop && micropod start"),
      },
    ]);
    sb.podman(["rm", "--force", "--time", "0", "jp-db"]);
    rmSync(`${jailLog()}.fail`);
    sb.podman(["run", "--detach", "--name", "jp-db", "--annotation", `${JAIL_PROFILE_ANNOTATION}=opensearch`, "localhost/busybox:test", "sleep", "300"]);
    expect(await jailProfileFindings(new JailRunner(), stateDir())).toEqual([
      { level: "ok", subject: "jail-profile", message: expect.stringMatching(/^jp-db: jail \d+ has the opensearch profile$/) },
    ]);
  });
});

describe("the profiles", () => {
  it("are the parameters the hook passes to jail -m", () => {
    const hook = readFileSync(join(repo, "hooks.d/micropod-jail.sh"), "utf8");
    for (const [name, params] of Object.entries(JAIL_PROFILES)) expect(hook).toContain(`    ${name}) params="${params.join(" ")}" ;;\n`);
  });

  it("read jls -n output: name=value, a boolean by its name or its no-form", () => {
    expect(readJlsNameValues("sysvshm=new allow.mount.nofdescfs allow.mlock enforce_statfs=1\n", ["sysvshm", "allow.mount.fdescfs", "allow.mlock", "enforce_statfs"])).toEqual({
      sysvshm: "new",
      "allow.mount.fdescfs": "false",
      "allow.mlock": "true",
      enforce_statfs: "1",
    });
    expect(existsSync(join(fakes, "jls"))).toBe(true);
  });
});
