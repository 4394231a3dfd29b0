import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { withHooksDir } from "../../src/host/containers-conf.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";

const DIR = "/usr/local/etc/containers/hooks.d";

describe("withHooksDir: a targeted edit of containers.conf", () => {
  it("adds hooks_dir under an existing [engine], keeping comments and settings", () => {
    expect(withHooksDir('# mine\n[engine]  # engine settings\nruntime = "ocijail"\n', DIR)).toBe(
      `# mine\n[engine]  # engine settings\nhooks_dir = ["${DIR}"]  # micropod: its OCI hooks (jail profiles)\nruntime = "ocijail"\n`,
    );
  });

  it("prepends to an existing hooks_dir array, single- or multi-line, and leaves it alone when present", () => {
    expect(withHooksDir('[engine]\nhooks_dir = ["/etc/hooks"]  # site hooks\n', DIR)).toBe(`[engine]\nhooks_dir = ["${DIR}", "/etc/hooks"]  # site hooks\n`);
    expect(withHooksDir('[engine]\nhooks_dir = []\n', DIR)).toBe(`[engine]\nhooks_dir = ["${DIR}"]\n`);
    const multi = '[engine]\nhooks_dir = [\n  "/a",  # first\n  "/b",\n]\n[network]\nx = 1\n';
    expect(withHooksDir(multi, DIR)).toBe(`[engine]\nhooks_dir = ["${DIR}", \n  "/a",  # first\n  "/b",\n]\n[network]\nx = 1\n`);
    const done = `[engine]\nhooks_dir = ["/a", "${DIR}"]\n`;
    expect(withHooksDir(done, DIR)).toBe(done);
  });

  it("appends an [engine] table when there is none, even after [engine.runtimes]", () => {
    expect(withHooksDir('[engine.runtimes]\nocijail = ["/usr/local/bin/ocijail"]\n', DIR)).toBe(
      `[engine.runtimes]\nocijail = ["/usr/local/bin/ocijail"]\n\n[engine]\nhooks_dir = ["${DIR}"]  # micropod: its OCI hooks (jail profiles)\n`,
    );
  });

  it("writes a managed file when there is none", () => {
    expect(withHooksDir(undefined, DIR)).toBe(
      `# managed by micropod: podman engine settings micropod needs\n# Changes here are replaced by \`micropod prepare-host\`; remove this line to keep your own version.\n[engine]\nhooks_dir = ["${DIR}"]\n`,
    );
  });

  it("refuses invalid TOML and forms it cannot edit in place, naming the file", () => {
    const invalid = (() => {
      try {
        withHooksDir('[engine]\nruntime = "runc\n', DIR, "/c.conf");
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(invalid).toBeInstanceOf(ConfigError);
    expect([invalid.message, ...invalid.details]).toEqual([
      "/c.conf is not valid TOML, so micropod leaves it alone",
      "/c.conf:2: Invalid TOML document: control characters are not allowed in strings",
    ]);
    expect(() => withHooksDir('engine.hooks_dir = ["/a"]\n', DIR, "/c.conf")).toThrow("/c.conf: cannot add /usr/local/etc/containers/hooks.d to [engine] hooks_dir without rewriting the file");
    expect(() => withHooksDir('[engine]\nhooks_dir = "/a"\n', DIR, "/c.conf")).toThrow("/c.conf: [engine] hooks_dir must be an array of strings");
  });
});

describe("real podman reads the edited containers.conf", () => {
  let sandbox: PodmanSandbox;
  beforeAll(() => {
    sandbox = createPodmanSandbox();
  });

  it("keeps the administrator's settings in effect and runs hooks from the added hooks_dir", () => {
    // The sandbox's own runtime settings (runc, ulimits, private paths) plus an administrator's
    // comments and a setting podman reports back: log_driver.
    const sandboxConf = readFileSync(sandbox.env.CONTAINERS_CONF!, "utf8");
    const admin = `# Site containers.conf: keep my comments\n${sandboxConf.replace("[containers]\n", '[containers]\nlog_driver = "k8s-file"  # logs as files\n')}`;
    const hooksDir = join(sandbox.root, "hooks.d");
    const fired = join(sandbox.root, "hook-fired");
    mkdirSync(hooksDir);
    writeFileSync(
      join(hooksDir, "probe.json"),
      JSON.stringify({ version: "1.0.0", hook: { path: "/bin/sh", args: ["sh", "-c", `echo fired > ${fired}`] }, when: { always: true }, stages: ["createRuntime"] }),
    );
    const edited = withHooksDir(admin, hooksDir, "containers.conf");
    const lines = edited.split("\n");
    const added = lines.findIndex((l) => l.startsWith("hooks_dir"));
    expect(lines[added]).toBe(`hooks_dir = [${JSON.stringify(hooksDir)}]  # micropod: its OCI hooks (jail profiles)`);
    expect([...lines.slice(0, added), ...lines.slice(added + 1)].join("\n")).toBe(admin);
    writeFileSync(sandbox.env.CONTAINERS_CONF!, edited);

    expect(sandbox.podman(["info", "--format", "{{.Host.LogDriver}} {{.Host.OCIRuntime.Name}}"]).trim()).toBe("k8s-file runc");
    const image = sandbox.busyboxImage();
    sandbox.podman(["run", "--rm", "--network", "none", image, "true"]);
    expect(existsSync(fired) && readFileSync(fired, "utf8")).toBe("fired\n");
  });
});
