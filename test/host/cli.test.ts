import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command as Program } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerDoctor } from "../../src/commands/doctor.js";
import type { Context } from "../../src/core/context.js";
import { registerPrepareHost } from "../../src/commands/prepare-host.js";
import { systemClock } from "../../src/core/clock.js";
import { ExitCode, MicropodError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { Redactor } from "../../src/core/redact.js";
import { type FakeHost, createFakeHost } from "./fake-host.js";

let host: FakeHost;
let out: string[];
beforeEach(() => {
  host = createFakeHost();
  out = [];
});
afterEach(() => host.cleanup());

/** The verbs as cli.ts wires them, with the fake host's runner. */
async function micropod(...args: string[]): Promise<number> {
  const program = new Program("micropod").exitOverride();
  const ctx: Context = { runner: host.runner, logger: silentLogger(), redactor: new Redactor(), clock: systemClock, out: (t) => out.push(t), signal: new AbortController().signal };
  registerPrepareHost(program, () => ctx);
  registerDoctor(program, () => ctx);
  try {
    await program.parseAsync(["node", "micropod", ...args, "--root", host.root, "--package-dir", host.packageDir]);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof MicropodError) return err.exitCode;
    throw err;
  }
}

describe("prepare-host --check and doctor exit codes", () => {
  it("--check exits 10 while something would change and 0 once the host is prepared; doctor 5 then 0", async () => {
    expect(await micropod("prepare-host", "--check")).toBe(ExitCode.changesPending);
    expect(await micropod("doctor")).toBe(ExitCode.prerequisite);
    const doctorFresh = out.slice(-20).join("\n");
    expect(doctorFresh).toContain("fix   packages        install podman-suite ocijail jq git\n      fix: pkg install -y podman-suite ocijail jq git");
    // ocijail once: the packages finding installs it, the jail-profiles note says what that means.
    expect(doctorFresh.match(/ocijail is not installed/g)).toHaveLength(1);

    await host.prepare();
    host.setJson("sysctl.json", { ...host.json<object>("sysctl.json"), "hw.ncpu": 4, "hw.physmem": 8_589_934_592 });
    expect(await micropod("prepare-host", "--check")).toBe(ExitCode.ok);
    out = [];
    expect(await micropod("doctor")).toBe(ExitCode.ok);
    expect(out.join("\n")).toBe(`ok    platform        FreeBSD 15.0-RELEASE-p1
ok    pkg-repo        /usr/local/etc/pkg/repos/FreeBSD.conf selects the latest stream
ok    packages        installed: podman-suite ocijail jq git
ok    zfs-datasets    zroot/containers at /var/db/containers, zroot/micropod at /var/db/micropod
ok    logs            /var/log/containers exists, rotated by /usr/local/etc/newsyslog.conf.d/micropod.conf
ok    pf              /etc/pf.conf has podman's NAT rules (egress vtnet0 / vtnet0)
ok    pf-service      pf, pflog enabled and running
ok    sysctl          net.pf.filter_local=1 live and in /etc/sysctl.conf
ok    gateway         gateway_enable and ipv6_gateway_enable are YES, forwarding on
ok    fdescfs         fdescfs on /dev/fd, and in /etc/fstab
ok    jail-profiles   hook installed in /usr/local/etc/containers/hooks.d and set in /usr/local/etc/containers/containers.conf
warn  jail-profiles   ocijail 0.4.0 ignores org.freebsd.jail.* annotations (0.5+ reads them): the micropod-jail hook applies both profiles
ok    podman-services podman_service, podman enabled and running
ok    boot            micropod enabled at boot (.env /usr/local/etc/micropod/micropod.env), micropod_health installed, shutdown timeouts 300/330 s or more
warn  boot            /usr/local/etc/micropod/micropod.env does not exist: at boot rc.d/micropod reads the suite's .env there (put it there, or rerun with --env FILE to point micropod_envfile at yours)
ok    base-images     FreeBSD 15.0 base images present
warn  cpu             4 vCPU, ~100 users want 16
      fix: give the machine more (the seed's guidance for ~100 users: 16 vCPU, 24 GB memory, 80 GB disk with media on S3 (no .env read; 300 GB when media is stored locally))
warn  memory          8.6 GB, ~100 users want 24 GB
      fix: give the machine more (the seed's guidance for ~100 users: 16 vCPU, 24 GB memory, 80 GB disk with media on S3 (no .env read; 300 GB when media is stored locally))
ok    disk            99 GB file system for / (74 GB free); 80 GB wanted with media on S3
ok    ports           no container publishes a port
the host is ready (4 warning(s))`);
  });
});

describe("off FreeBSD", () => {
  beforeEach(() => host.setJson("system.json", { ...host.json<object>("system.json"), sysname: "Linux", kernel: "6.1.0-28-amd64" }));

  it("prepare-host --check exits 12 (could not inspect); doctor says once it is not FreeBSD and gives the sizing; neither asks a host tool", async () => {
    expect(await micropod("prepare-host", "--check")).toBe(ExitCode.notInspected);
    expect(out.at(-1)).toMatch(/^2 of 13 resources would change; 11 could not be inspected here \(this is Linux 6\.1\.0-28-amd64, not FreeBSD\)/);
    out = [];
    expect(await micropod("doctor")).toBe(ExitCode.prerequisite);
    expect(out.join("\n")).toBe(`fix   platform        this is Linux 6.1.0-28-amd64, not FreeBSD: micropod runs the suite on a FreeBSD 15 host, and checks its 13 prepare-host resources, ocijail, the jail profiles and its capacity there only
      fix: run \`micropod doctor\` on the FreeBSD host (\`micropod prepare-host --check\` shows here what prepare-host would change there)
sizing for ~100 users (the seed's guidance): 16 vCPU, 24 GB memory, 80 GB disk with media on S3 (no .env read; 300 GB when media is stored locally)
1 finding(s) to fix, 0 warning(s)`);
    expect(host.calls().map((c) => c[0])).toEqual(["uname", "uname", "uname", "uname"]);
  });

  it("doctor --help offers no option that means nothing to a read-only check", async () => {
    const program = new Program("micropod").exitOverride().configureOutput({ writeOut: (t) => out.push(t) });
    const ctx: Context = { runner: host.runner, logger: silentLogger(), redactor: new Redactor(), clock: systemClock, out: (t) => out.push(t), signal: new AbortController().signal };
    registerDoctor(program, () => ctx);
    await program.parseAsync(["node", "micropod", "doctor", "--help"]).catch(() => undefined);
    const help = out.join("");
    expect(help).toContain("--env <file>");
    expect(help).not.toContain("--with-compose");
    expect(help).not.toContain("--root");
  });
});

describe("--env: DATA_DIR, LOG_DIR, FREEBSD_RELEASE and S3_ENABLED from the suite's .env", () => {
  const sample = readFileSync(join(import.meta.dirname, "..", "..", "sample.env"), "utf8");
  // DATA_DIR is where loading a .env looks for persisted secrets: never the sample's, which is this
  // machine's /var/db/micropod, unless a test names one.
  const envWith = (vars: Record<string, string>) => {
    let text = sample;
    for (const [k, v] of Object.entries({ DATA_DIR: join(host.dir, "data"), ...vars })) text = text.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=${v}`);
    const file = join(host.dir, "micropod.env");
    writeFileSync(file, text);
    return file;
  };
  const block = (text: string, name: string) => {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.slice(8).startsWith(`${name} `));
    const end = lines.findIndex((l, i) => i > at && /^\S/.test(l));
    return lines.slice(at, end).join("\n");
  };

  it("prepare-host --check uses the .env's directories, release and path; a flag given still wins", async () => {
    const env = envWith({ DATA_DIR: "/srv/mastodon", LOG_DIR: "/srv/logs", FREEBSD_RELEASE: "14.3" });
    expect(await micropod("prepare-host", "--check", "--env", env)).toBe(ExitCode.changesPending);
    const text = out.join("\n").replaceAll(host.root, "$ROOT");
    expect(block(text, "zfs-datasets")).toBe(`change  zfs-datasets    create zroot/containers at /var/db/containers, zroot/micropod at /srv/mastodon
    $ zfs create -p -o mountpoint=/var/db/containers zroot/containers
    $ zfs create -p -o mountpoint=/srv/mastodon zroot/micropod`);
    expect(block(text, "logs").split("\n").slice(0, 2)).toEqual(["change  logs            /srv/logs and its newsyslog rule /usr/local/etc/newsyslog.conf.d/micropod.conf", "    $ mkdir -p -m 755 /srv/logs"]);
    expect(block(text, "boot")).toContain(`    $ sysrc -R $ROOT micropod_enable=YES micropod_envfile=${env} rcshutdown_timeout=300\n`);
    expect(block(text, "base-images")).toBe(`change  base-images     pull docker.io/freebsd/freebsd-notoolchain:14.3 docker.io/freebsd/freebsd-toolchain:14.3
    $ podman pull docker.io/freebsd/freebsd-notoolchain:14.3
    $ podman pull docker.io/freebsd/freebsd-toolchain:14.3`);

    out = [];
    expect(await micropod("prepare-host", "--check", "--env", env, "--data-dir", "/data", "--log-dir", "/logs")).toBe(ExitCode.changesPending);
    const flagged = out.join("\n");
    expect(block(flagged, "zfs-datasets")).toContain("zroot/micropod at /data\n");
    expect(block(flagged, "logs")).toContain("    $ mkdir -p -m 755 /logs\n");
  });

  it("a FREEBSD_RELEASE newer than the host is reported", async () => {
    const env = envWith({ FREEBSD_RELEASE: "15.1" });
    await micropod("prepare-host", "--check", "--env", env);
    expect(block(out.join("\n"), "base-images")).toContain(
      "    note: FREEBSD_RELEASE=15.1 (from the .env) is newer than this host's 15.0: containers cannot run a userland newer than the kernel (freebsd-update the host, or lower FREEBSD_RELEASE)",
    );
  });

  it("doctor sizes the disk as the seed does: 300 GB for DATA_DIR with media stored locally (S3_ENABLED=false), 80 GB with media on S3", async () => {
    host.write("/srv/mastodon/.keep", "");
    const local = envWith({ S3_ENABLED: "false", DATA_DIR: "/srv/mastodon" });
    await micropod("doctor", "--env", local);
    expect(out.filter((l) => /^\w+ +disk/.test(l)).join("\n")).toBe(`warn  disk            99 GB file system for /srv/mastodon (74 GB free), ~100 users want 300 GB with media stored locally (S3_ENABLED=false) under /srv/mastodon/mastodon/system
      fix: give /srv/mastodon 300 GB or more (and prune cached media with \`tootctl media remove\`), or move media to S3 (S3_ENABLED=true with a bucket: 80 GB then)`);

    out = [];
    host.setJson("system.json", { ...host.json<object>("system.json"), diskKB: 310_000_000 });
    await micropod("doctor", "--env", local);
    expect(out.find((l) => /^\w+ +disk/.test(l))).toBe("ok    disk            317 GB file system for /srv/mastodon (238 GB free); 300 GB wanted with media stored locally (S3_ENABLED=false) under /srv/mastodon/mastodon/system");

    out = [];
    host.setJson("system.json", { ...host.json<object>("system.json"), diskKB: 97_000_000 });
    const s3 = envWith({ DATA_DIR: "/srv/mastodon", S3_ENABLED: "true", S3_BUCKET: "media", S3_HOSTNAME: "s3.example.org", S3_ENDPOINT: "https://s3.example.org", S3_ALIAS_HOST: "files.example.org", S3_ACCESS_KEY_ID: "AKIAEXAMPLE", S3_SECRET_ACCESS_KEY: "secret-key-example-1234" });
    expect(await micropod("doctor", "--env", s3)).toBe(ExitCode.prerequisite);
    expect(out.find((l) => /^\w+ +disk/.test(l))).toBe("ok    disk            99 GB file system for / (74 GB free); 80 GB wanted with media on S3");
  });

  it("a .env with errors stops both verbs with the config error, before anything is inspected", async () => {
    // An invalid DATA_DIR would make the loader look for secrets in the default one, this machine's.
    const env = envWith({ LOG_DIR: "relative/path" });
    expect(await micropod("prepare-host", "--check", "--env", env)).toBe(ExitCode.config);
    expect(await micropod("doctor", "--env", env)).toBe(ExitCode.config);
    expect(host.calls()).toEqual([]);
  });
});
