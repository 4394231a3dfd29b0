import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeHost, createFakeHost } from "./fake-host.js";

let host: FakeHost;
beforeEach(() => {
  host = createFakeHost();
});
afterEach(() => host.cleanup());

function sh(argv: string[]): { code: number; stderr: string } {
  try {
    execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...host.env }, stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, stderr: "" };
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    return { code: err.status, stderr: err.stderr.toString().trim() };
  }
}

describe("the fake FreeBSD commands reject what the real ones reject", () => {
  it("each wrong form fails with the real tool's message", () => {
    host.write("/etc/bad-order.conf", 'pass all\nnat on vtnet0 inet from 10.0.0.0/8 to any -> (vtnet0)\n');
    expect(sh(["pfctl", "-nf", `${host.root}/etc/bad-order.conf`])).toEqual({ code: 1, stderr: "pfctl: /dev/pf: No such file or directory" });
    expect(sh(["kldload", "pf"]).code).toBe(0);
    expect(sh(["kldload", "pf"])).toEqual({ code: 1, stderr: "kldload: can't load pf: module already loaded or in kernel" });
    expect(sh(["pfctl", "-nf", `${host.root}/etc/bad-order.conf`])).toEqual({
      code: 1,
      stderr: `${host.root}/etc/bad-order.conf:2: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering\npfctl: Syntax error in config file: pf rules not loaded`,
    });
    expect(sh(["pfctl", "-nf", `${host.root}/etc/missing.conf`])).toEqual({ code: 1, stderr: `pfctl: ${host.root}/etc/missing.conf: No such file or directory` });
    expect(sh(["zfs", "create", "-o", "mountpoint", "/x", "zroot/x"])).toEqual({ code: 2, stderr: "missing '=' for property=value argument" });
    expect(sh(["zfs", "create", "zroot/a/b"])).toEqual({ code: 1, stderr: "cannot create 'zroot/a/b': parent does not exist" });
    expect(sh(["zfs", "snapshot", "zroot"])).toMatchObject({ code: 2 });
    expect(sh(["zfs", "snapshot", "zroot/nope@x"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cannot open 'zroot\/nope': dataset does not exist/) });
    expect(sh(["zfs", "snapshot", "zroot@a*b"])).toEqual({ code: 1, stderr: "cannot create snapshot 'zroot@a*b': invalid character '*' in name" });
    expect(sh(["zfs", "snapshot", "zroot@one"]).code).toBe(0);
    expect(sh(["zfs", "snapshot", "zroot@one"])).toEqual({ code: 1, stderr: "cannot create snapshot 'zroot@one': dataset already exists" });
    expect(sh(["zfs", "list", "-H", "-o", "name", "/not/zfs"])).toEqual({ code: 1, stderr: "'/not/zfs': not a ZFS filesystem" });
    expect(sh(["sysrc", "-R", host.root, "pf_enable", "YES"])).toEqual({ code: 1, stderr: "sysrc: unknown variable 'YES'" });
    expect(sh(["sysrc", "-R", host.root, "podman_enable"])).toEqual({ code: 1, stderr: "sysrc: unknown variable 'podman_enable'" });
    expect(sh(["sysctl", "net.inet.ip.forwarding", "1"])).toEqual({ code: 1, stderr: "sysctl: unknown oid '1'" });
    expect(sh(["sysctl", "net.pf.filter_local=1"]).code).toBe(0); // pf is loaded now
    expect(sh(["sysctl", "net.inet.ip.forwarding=1=2", "net.inet6.ip6.forwarding=1"])).toEqual({ code: 1, stderr: "sysctl: invalid integer '1=2'" });
    expect(host.json<Record<string, number>>("sysctl.json")).toMatchObject({ "net.inet.ip.forwarding": 0, "net.inet6.ip6.forwarding": 1 });
    expect(sh(["service", "pf", "start"])).toEqual({ code: 1, stderr: "Cannot 'start' pf. Set pf_enable to YES in /etc/rc.conf or use 'onestart' instead of 'start'." });
    expect(sh(["service", "podman", "start"]).stderr).toBe("podman does not exist in /etc/rc.d or the local startup directories (/usr/local/etc/rc.d), or is not executable");
    expect(sh(["service", "routing", "reload"]).code).toBe(1);
    expect(sh(["mount", "fdescfs", "/dev/fd"])).toEqual({ code: 1, stderr: "mount: fdescfs: No such file or directory" });
    expect(sh(["pkg", "install", "jq"])).toEqual({ code: 1, stderr: "Proceed with this action? [y/N]:" });
    expect(sh(["route", "-n", "get", "-6", "default"]).code).toBe(0);
    expect(sh(["route", "-n", "get", "--inet6", "default"])).toEqual({ code: 1, stderr: "route: bad keyword: -inet6" });
  });

  it("pfctl refuses a rule pf.conf(5) does not allow, every error as pfctl prints it (pf-grammar.mjs)", () => {
    expect(sh(["kldload", "pf"]).code).toBe(0);
    host.write("/etc/wrong.conf", 'ext_if = "vtnet0"\nnat on $ext_if inet6 from any to any -> 192.0.2.1\npass in proto tcp to port 99999\npass in all keep state\n');
    expect(sh(["pfctl", "-nf", `${host.root}/etc/wrong.conf`])).toEqual({
      code: 1,
      stderr: [
        `${host.root}/etc/wrong.conf:2: no translation address with matching address family found.`,
        `${host.root}/etc/wrong.conf:3: illegal port value 99999`,
        "pfctl: Syntax error in config file: pf rules not loaded",
      ].join("\n"),
    });
    // Nothing was loaded: pfctl -n never loads, and a refused file is not loaded either.
    expect(existsSync(join(host.state, "pf.json"))).toBe(false);
  });

  it("uname answers its flags in uname.c's order and refuses what uname(1) refuses", () => {
    const out = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...host.env }, encoding: "utf8" });
    expect(out(["uname"])).toBe("FreeBSD\n");
    expect(out(["uname", "-r"])).toBe("15.0-RELEASE-p1\n");
    // Fields print in one order whatever the flags' order: sysname, nodename, release, ..., machine.
    expect(out(["uname", "-m", "-s", "-r"])).toBe("FreeBSD 15.0-RELEASE-p1 amd64\n");
    expect(out(["uname", "-o"])).toBe("FreeBSD\n");
    expect(out(["uname", "-a"])).toBe("FreeBSD mastodon.example 15.0-RELEASE-p1 FreeBSD 15.0-RELEASE-p1 GENERIC amd64 amd64\n");
    expect(sh(["uname", "-x"])).toEqual({ code: 1, stderr: "uname: illegal option -- x\nusage: uname [-abiKmnoprsUv]" });
    expect(sh(["uname", "-s", "extra"])).toEqual({ code: 1, stderr: "usage: uname [-abiKmnoprsUv]" });
  });

  it("df honours its block size flags as df.c does and refuses what df(1) refuses", () => {
    const out = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...host.env }, encoding: "utf8" });
    const kb = 97_000_000;
    expect(out(["df", "-P", "-k", host.root]).split("\n")).toEqual(["Filesystem 1024-blocks Used Avail Capacity Mounted on", `zroot/containers ${kb} ${kb / 4} ${kb - kb / 4} 25% ${host.root}`, ""]);
    // POSIX: -k after -P and -P after -k both mean 1024-byte blocks; -P alone means 512.
    expect(out(["df", "-k", "-P", host.root]).split("\n")[0]).toBe("Filesystem 1024-blocks Used Avail Capacity Mounted on");
    expect(out(["df", "-P", host.root]).split("\n")[1]).toBe(`zroot/containers ${kb * 2} ${kb / 2} ${kb * 2 - kb / 2} 25% ${host.root}`);
    const usage = "usage: df [-b | -g | -H | -h | -k | -m | -P] [-acilnT] [-t type] [-,]\n          [file | filesystem ...]";
    expect(sh(["df", "-x", host.root])).toEqual({ code: 64, stderr: `df: illegal option -- x\n${usage}` });
    expect(sh(["df", "-t"])).toEqual({ code: 64, stderr: `df: option requires an argument -- t\n${usage}` });
    expect(sh(["df", "-l", "-t", "zfs"])).toEqual({ code: 1, stderr: "df: -l and -t are mutually exclusive." });
    expect(sh(["df", "-P", "-k", `${host.root}/nowhere`])).toEqual({ code: 1, stderr: `df: ${host.root}/nowhere: No such file or directory` });
  });
});
