import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { tempDir } from "../support/temp.js";

/**
 * The jail hook on real podman: podman reads hooks.d/micropod-jail.json from a hooks dir,
 * matches the annotation and runs the real hook script (through runc's createRuntime stage),
 * which calls a fake `jail` recording its argv. On Linux no ocijail writes a state file, so the
 * test writes <state dir>/<container id>/state.json between `podman create` and `podman start`.
 */
const repo = resolve(import.meta.dirname, "../..");
const fakes = join(repo, "test/content/fakes");

let work: string;
let sandbox: PodmanSandbox;
let image: string;
const stateDir = () => join(work, "ocijail");
const jailLog = () => join(work, "jail.argv");
const loggerLog = () => join(work, "logger.log");

beforeAll(() => {
  work = tempDir("micropod-hook-");
  const hooksDir = join(work, "hooks.d");
  const bin = join(work, "bin");
  mkdirSync(hooksDir);
  mkdirSync(bin);
  mkdirSync(stateDir());
  copyFileSync(join(fakes, "jail"), join(bin, "jail"));
  copyFileSync(join(fakes, "jail-params.sh"), join(bin, "jail-params.sh"));
  copyFileSync(join(fakes, "logger"), join(bin, "logger"));
  const script = join(work, "micropod-jail.sh");
  copyFileSync(join(repo, "hooks.d/micropod-jail.sh"), script);
  // The shipped JSON, with its path pointed at the test's copy and the environment the OCI
  // runtime gives the hook (runtimes pass a hook nothing else): fakes first on PATH.
  const hook = JSON.parse(readFileSync(join(repo, "hooks.d/micropod-jail.json"), "utf8"));
  hook.hook.path = script;
  hook.hook.env = [
    `PATH=${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
    `MICROPOD_OCIJAIL_STATE_DIR=${stateDir()}`,
    `FAKE_JAIL_LOG=${jailLog()}`,
    `FAKE_LOGGER_LOG=${loggerLog()}`,
  ];
  writeFileSync(join(hooksDir, "micropod-jail.json"), JSON.stringify(hook, null, 2));
  sandbox = createPodmanSandbox({ hooksDir });
  image = sandbox.busyboxImage();
});

function reset(): void {
  rmSync(jailLog(), { force: true });
  rmSync(loggerLog(), { force: true });
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** Create a container (with the annotation, if given), write its ocijail state, start it. */
function run(profile: string | undefined, opts: { jid?: number } = {}): { ok: boolean; stderr: string; id: string } {
  const annotation = profile === undefined ? [] : ["--annotation", `com.micropod.jail.profile=${profile}`];
  const id = sandbox.podman(["create", "--network", "none", ...annotation, image, "true"]).trim();
  if (opts.jid !== undefined) {
    mkdirSync(join(stateDir(), id), { recursive: true });
    // Shaped like ocijail's own file: keys sorted, the OCI config (with its annotations) nested.
    writeFileSync(
      join(stateDir(), id, "state.json"),
      JSON.stringify(
        {
          bundle: `/var/db/containers/storage/overlay-containers/${id}/userdata`,
          config: { annotations: { "com.micropod.jail.profile": profile ?? "", jid: "1" }, ociVersion: "1.0.2" },
          jid: opts.jid,
          pid: 4242,
          root_path: "/var/db/containers/storage/root",
          status: "created",
        },
        null,
        4,
      ),
    );
  }
  try {
    sandbox.podman(["start", "--attach", id]);
    return { ok: true, stderr: "", id };
  } catch (e) {
    const err = e as { stderr?: string };
    return { ok: false, stderr: String(err.stderr ?? ""), id };
  } finally {
    sandbox.podman(["rm", "--force", "--time", "0", id]);
  }
}

describe("micropod-jail hook on real podman", () => {
  it("applies the postgresql profile: a private System V IPC namespace", () => {
    reset();
    const r = run("postgresql", { jid: 17 });
    expect(r.ok, r.stderr).toBe(true);
    expect(read(jailLog())).toBe("-m jid=17 sysvmsg=new sysvsem=new sysvshm=new\n");
    expect(read(loggerLog())).toBe(
      `micropod-jail: container ${r.id}: jail 17: applied profile postgresql (sysvmsg=new sysvsem=new sysvshm=new)\n`,
    );
  });

  it("applies the opensearch profile: mounts and memory lock", () => {
    reset();
    const r = run("opensearch", { jid: 23 });
    expect(r.ok, r.stderr).toBe(true);
    expect(read(jailLog())).toBe(
      "-m jid=23 allow.mount allow.mount.fdescfs allow.mount.procfs enforce_statfs=1 allow.mlock\n",
    );
  });

  it("does not run for a container without the annotation", () => {
    reset();
    const r = run(undefined, { jid: 5 });
    expect(r.ok, r.stderr).toBe(true);
    expect(read(jailLog())).toBe("");
    expect(read(loggerLog())).toBe("");
  });

  it("does not run for an unknown profile, nor for a known name inside a longer value (anchored)", () => {
    reset();
    for (const profile of ["redis", "xpostgresql", "opensearch-old"]) {
      const r = run(profile, { jid: 6 });
      expect(r.ok, `${profile}: ${r.stderr}`).toBe(true);
    }
    expect(read(jailLog())).toBe("");
    expect(read(loggerLog())).toBe("");
  });

  it("fails the container start with the hook's message when the ocijail state file is missing", () => {
    reset();
    const r = run("postgresql");
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain(
      `micropod-jail: profile postgresql: ocijail state file ${join(stateDir(), r.id, "state.json")} not found; is the runtime ocijail?`,
    );
    expect(read(jailLog())).toBe("");
    expect(read(loggerLog())).toBe(
      `micropod-jail: error: profile postgresql: ocijail state file ${join(stateDir(), r.id, "state.json")} not found; is the runtime ocijail?\n`,
    );
  });

  it("fails the container start when jail -m refuses the parameters", () => {
    reset();
    writeFileSync(`${jailLog()}.fail`, "");
    try {
      const r = run("opensearch", { jid: 31 });
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain(
        "micropod-jail: profile opensearch: jail -m jid=31 allow.mount allow.mount.fdescfs allow.mount.procfs enforce_statfs=1 allow.mlock failed: jail: jail_set: Operation not permitted",
      );
    } finally {
      rmSync(`${jailLog()}.fail`, { force: true });
    }
  });
});
