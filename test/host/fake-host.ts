import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type Command, renderCommand } from "../../src/core/command.js";
import { CommandFailedError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner, type Runner, type RunOptions, type RunResult } from "../../src/core/runner.js";
import { prepareHost } from "../../src/host/prepare.js";
import { type HostOptionsInput, hostOptions } from "../../src/host/options.js";
import type { PlatformFacts } from "../../src/host/platform.js";
import type { HostResource } from "../../src/host/resource.js";
import { tempDir } from "../support/temp.js";

const repo = resolve(import.meta.dirname, "..", "..");
export const FAKES = join(repo, "test", "host", "fakes");
export const FREEBSD_15: PlatformFacts = { isRoot: true, system: "FreeBSD", release: "15.0-RELEASE" };

/**
 * The fake repository: the host's packages with their origins, versions overridable. git has a
 * second flavour, as in the ports tree, so installing devel/git by origin would pull both.
 */
export function pkgCatalog(versions: Record<string, string> = {}, omit: readonly string[] = []): Record<string, { version: string; origin: string }> {
  const all: Record<string, { version: string; origin: string }> = {
    "podman-suite": { version: "20240605", origin: "sysutils/podman-suite" },
    ocijail: { version: "0.4.0", origin: "sysutils/ocijail" },
    jq: { version: "1.7.1", origin: "textproc/jq" },
    git: { version: "2.51.0", origin: "devel/git" },
    "git-lite": { version: "2.51.0", origin: "devel/git" },
    "py311-podman-compose": { version: "1.5.0", origin: "sysutils/podman-compose" },
  };
  for (const [n, v] of Object.entries(versions)) all[n]!.version = v;
  for (const n of omit) delete all[n];
  return all;
}

/** Runs the real commands found on PATH, with the fake FreeBSD commands first and their state dirs. */
class FakeHostRunner implements Runner {
  private readonly inner = new ExecaRunner();
  constructor(private readonly env: Record<string, string>) {}
  async run(c: Command, opts?: RunOptions): Promise<RunResult> {
    const r = await this.inner.run({ ...c, env: { ...this.env, ...c.env } }, { ...opts, allowFailure: true });
    // A fake standing for a program its package has not installed yet (podman before
    // podman-suite) exits 127 "not found": on the host exec would fail, nothing would run.
    const result = r.exitCode === 127 && /not found/.test(r.stderr) ? { ...r, notFound: true } : r;
    // Failures show the command as micropod built it, not with the fakes' PATH and state dirs.
    if (result.exitCode !== 0 && !opts?.allowFailure) throw new CommandFailedError(renderCommand(c), result);
    return result;
  }
}

export interface FakeHost {
  readonly dir: string;
  /** The --root tree. */
  readonly root: string;
  /** The fakes' state (datasets, services, loaded pf ruleset, calls.log). */
  readonly state: string;
  /** A copy of the package's pf/ and hooks.d/ (tests may break the template). */
  readonly packageDir: string;
  readonly runner: Runner;
  readonly env: Record<string, string>;
  file(hostPath: string): string | undefined;
  write(hostPath: string, content: string): void;
  json<T>(name: string): T;
  setJson(name: string, value: unknown): void;
  /** Every fake command run so far, as argv arrays. */
  calls(): string[][];
  /** Every file under root and state (but calls.log), for "nothing changed" comparisons. */
  snapshot(): Record<string, string>;
  prepare(opts?: { check?: boolean; options?: HostOptionsInput; platform?: PlatformFacts; resources?: readonly HostResource[] }): Promise<{ out: string; changed: number; notInspected: number }>;
  cleanup(): void;
}

/**
 * A fake FreeBSD host in a temp dir. `without`: FreeBSD tools this host lacks (not installed):
 * PATH then holds only the other fakes and /usr/bin:/bin, so those tools are not found at all.
 */
export function createFakeHost(opts: { without?: readonly string[] } = {}): FakeHost {
  const dir = tempDir("micropod-host-");
  const root = join(dir, "root");
  const state = join(dir, "state");
  const packageDir = join(dir, "package");
  for (const d of [root, state, join(root, "etc/defaults"), packageDir]) mkdirSync(d, { recursive: true });
  cpSync(join(repo, "pf"), join(packageDir, "pf"), { recursive: true });
  cpSync(join(repo, "test/host/fixtures/hooks.d"), join(packageDir, "hooks.d"), { recursive: true });
  cpSync(join(repo, "rc.d"), join(packageDir, "rc.d"), { recursive: true });
  writeFileSync(join(root, "etc/defaults/rc.conf"), 'gateway_enable="NO"\nipv6_gateway_enable="NO"\npf_enable="NO"\npflog_enable="NO"\nrcshutdown_timeout="90"\n');
  writeFileSync(join(root, "etc/rc.conf"), 'hostname="mastodon.example"\nsshd_enable="YES"\n');
  writeFileSync(join(root, "etc/fstab"), "# Device\tMountpoint\tFStype\tOptions\tDump\tPass#\n/dev/gpt/swap0\tnone\tswap\tsw\t0\t0\n");
  const put = (name: string, v: unknown) => writeFileSync(join(state, name), `${JSON.stringify(v, null, 2)}\n`);
  put("zfs.json", { datasets: { zroot: { mountpoint: "/zroot" }, "zroot/ROOT": { mountpoint: "none" } } });
  put("route.json", { inet: "vtnet0", inet6: "vtnet0" });
  put("pkg.json", { installed: {}, catalog: pkgCatalog({ ocijail: "0.4.0" }) });
  put("sysctl.json", { "hw.ncpu": 16, "hw.physmem": 25_669_640_192, "net.inet.ip.forwarding": 0, "net.inet6.ip6.forwarding": 0, "net.inet6.ip6.rfc6204w3": 0, "net.pf.filter_local": 0, "kern.init_shutdown_timeout": 120 });
  put("system.json", { userland: "15.0-RELEASE-p1", kernel: "15.0-RELEASE-p1", diskKB: 97_000_000 });
  put("mounts.json", [{ device: "zroot/ROOT/default", mountpoint: "/", fstype: "zfs" }, { device: "devfs", mountpoint: "/dev", fstype: "devfs" }]);
  let path = `${FAKES}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  if (opts.without?.length) {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const tool of readdirSync(FAKES)) if (!tool.endsWith(".mjs") && !opts.without.includes(tool)) symlinkSync(join(FAKES, tool), join(bin, tool));
    path = `${bin}:/usr/bin:/bin`;
  }
  const env = { PATH: path, FAKE_STATE: state, FAKE_ROOT: root };
  const runner = new FakeHostRunner(env);
  const host: FakeHost = {
    dir,
    root,
    state,
    packageDir,
    runner,
    env,
    file: (p) => (existsSync(join(root, p)) ? readFileSync(join(root, p), "utf8") : undefined),
    write: (p, content) => {
      mkdirSync(join(root, p, ".."), { recursive: true });
      writeFileSync(join(root, p), content);
    },
    json: <T>(name: string) => JSON.parse(readFileSync(join(state, name), "utf8")) as T,
    setJson: put,
    calls: () =>
      existsSync(join(state, "calls.log"))
        ? readFileSync(join(state, "calls.log"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[])
        : [],
    snapshot: () => {
      const out: Record<string, string> = {};
      const walk = (d: string) => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          const rel = relative(dir, p);
          if (rel === "state/calls.log") continue;
          const st = statSync(p);
          if (st.isDirectory()) {
            out[`${rel}/`] = (st.mode & 0o7777).toString(8);
            walk(p);
          } else out[rel] = `${(st.mode & 0o7777).toString(8)} ${readFileSync(p, "utf8")}`;
        }
      };
      walk(root);
      walk(state);
      return out;
    },
    async prepare(o = {}) {
      const lines: string[] = [];
      const report = await prepareHost(
        { runner, logger: silentLogger(), out: (t) => lines.push(t) },
        {
          check: o.check ?? false,
          options: hostOptions({ root, packageDir, ...o.options }),
          platform: o.platform ?? FREEBSD_15,
          resources: o.resources,
        },
      );
      return { out: `${lines.join("\n")}\n`.replaceAll(root, "$ROOT"), changed: report.changed, notInspected: report.notInspected };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return host;
}

/** The argv of the commands that may change a host; anything else the fakes saw was inspection. */
export function changingCalls(calls: string[][]): string[][] {
  return calls.filter(
    (c) =>
      !(
        (c[0] === "zfs" && c[1] === "list") ||
        (c[0] === "pkg" && c[1] === "query") ||
        c[0] === "route" ||
        (c[0] === "sysrc" && !c.some((a) => a.includes("=") || a === "-x")) ||
        (c[0] === "service" && c[2] === "status") ||
        (c[0] === "sysctl" && !c.some((a) => a.includes("="))) ||
        (c[0] === "mount" && c[1] === "-p") ||
        (c[0] === "podman" && c[1] === "image" && c[2] === "exists") ||
        c[0] === "freebsd-version" ||
        c[0] === "uname" ||
        c[0] === "df"
      ),
  );
}
