import { Command as Program } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerDoctor } from "../../src/commands/doctor.js";
import type { Context } from "../../src/commands/context.js";
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
    expect(doctorFresh).toContain("fix   ocijail         ocijail is not installed: the micropod-jail hook will apply the jail profiles\n      fix: pkg install -y ocijail");

    await host.prepare();
    host.setJson("sysctl.json", { ...host.json<object>("sysctl.json"), "hw.ncpu": 4, "hw.physmem": 8_589_934_592 });
    expect(await micropod("prepare-host", "--check")).toBe(ExitCode.ok);
    out = [];
    expect(await micropod("doctor")).toBe(ExitCode.ok);
    expect(out.join("\n")).toBe(`ok    pkg-repo        /usr/local/etc/pkg/repos/FreeBSD.conf selects the latest stream
ok    packages        installed: podman-suite ocijail jq git
ok    zfs-datasets    zroot/containers at /var/db/containers, zroot/micropod at /var/db/micropod
ok    logs            /var/log/containers exists, rotated by /usr/local/etc/newsyslog.conf.d/micropod.conf
ok    pf              /etc/pf.conf has podman's NAT rules (egress vtnet0 / vtnet0)
ok    pf-service      pf, pflog enabled and running
ok    sysctl          net.pf.filter_local=1 live and in /etc/sysctl.conf
ok    gateway         gateway_enable and ipv6_gateway_enable are YES
ok    fdescfs         fdescfs on /dev/fd, and in /etc/fstab
ok    jail-profiles   hook installed in /usr/local/etc/containers/hooks.d and set in /usr/local/etc/containers/containers.conf
warn  jail-profiles   ocijail 0.4.0 ignores org.freebsd.jail.* annotations (0.5+ reads them): the micropod-jail hook applies both profiles
ok    podman-services podman_service, podman enabled and running
ok    base-images     FreeBSD 15.0 base images present
warn  cpu             4 vCPU, ~100 users want 16
      fix: give the machine more (the seed's guidance for ~100 users: 16 vCPU, 24 GB memory, 80 GB disk, media on S3)
warn  memory          8.6 GB, ~100 users want 24 GB
      fix: give the machine more (the seed's guidance for ~100 users: 16 vCPU, 24 GB memory, 80 GB disk, media on S3)
ok    disk            99 GB file system for / (74 GB free)
ok    ocijail         ocijail 0.4.0 ignores org.freebsd.jail.* annotations (0.5+ reads them): the micropod-jail hook applies both profiles
the host is ready (3 warning(s))`);
  });
});
