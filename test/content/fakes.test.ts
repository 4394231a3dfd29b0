import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";

/**
 * The fake jail(8), jls(8) and limits(1) (test/content/fakes) and daemon(8) (test/host/rc-model)
 * accept what FreeBSD 15.0's accept and refuse what they refuse, with their messages and exit
 * status: the sources are cited in each fake. A fake that took any allow.* name let a misspelt
 * jail parameter in the hook pass every test.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const fakes = join(repo, "test", "content", "fakes");
let dir: string;
const run = (tool: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(join(tool === "daemon" ? join(repo, "test", "host", "rc-model") : fakes, tool), args, {
    env: { ...process.env, FAKE_JAIL_LOG: join(dir, "jail.argv"), FAKE_JAILS: join(dir, "jails"), ...env },
    encoding: "utf8",
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
};

beforeEach(() => {
  dir = tempDir("micropod-fakes-");
  mkdirSync(join(dir, "jails"));
  writeFileSync(join(dir, "jails", "7"), "persist=true\nenforce_statfs=2\nallow.mount=false\nallow.mount.fdescfs=false\nsysvshm=disable\n");
});

describe("jail(8)", () => {
  it("takes every allow.* parameter jail(8) lists for 15.0, in either form, and the profile's others", () => {
    const all = [
      "set_hostname", "sysvipc", "raw_sockets", "chflags", "mount", "mount.devfs", "quotas", "read_msgbuf", "socket_af", "mlock",
      "nfsd", "reserved_ports", "unprivileged_parent_tampering", "unprivileged_proc_debug", "suser", "extattr", "adjtime",
      "settime", "routing", "setaudit", "mount.fdescfs", "mount.fusefs", "mount.nullfs", "mount.procfs", "mount.linprocfs",
      "mount.linsysfs", "mount.tmpfs", "mount.zfs", "vmm", "vmm_ppt",
    ];
    expect(run("jail", ["-m", "jid=7", ...all.map((a) => `allow.${a}`)])).toMatchObject({ code: 0, stderr: "" });
    expect(run("jail", ["-m", "jid=7", "allow.nomount", "allow.mount.nofdescfs", "allow.mlock=false", "allow.sysvipc=1", "nopersist", "enforce_statfs=1", "sysvshm=new"])).toMatchObject({ code: 0 });
    const jail = readFileSync(join(dir, "jails", "7"), "utf8");
    expect(jail).toContain("allow.mount=false\n");
    expect(jail).toContain("allow.mount.fdescfs=false\n");
    expect(jail).toContain("allow.mlock=false\n");
    expect(jail).toContain("allow.sysvipc=true\n");
    expect(jail).toContain("persist=false\n");
    expect(jail).toContain("enforce_statfs=1\n");
    expect(jail).toContain("sysvshm=new\n");
  });

  it("refuses as jail(8) and libjail refuse, exit 1", () => {
    expect(run("jail", ["-m", "jid=7", "allow.mount.nfs"])).toMatchObject({ code: 1, stderr: "jail: unknown parameter: allow.mount.nfs" });
    expect(run("jail", ["-m", "jid=7", "allow.mlocks"])).toMatchObject({ code: 1, stderr: "jail: unknown parameter: allow.mlocks" });
    expect(run("jail", ["-m", "jid=7", "allow.nomount.procfs"])).toMatchObject({ code: 1, stderr: "jail: unknown parameter: allow.nomount.procfs" });
    expect(run("jail", ["-m", "jid=7", "sysvipc=new"])).toMatchObject({ code: 1, stderr: "jail: unknown parameter: sysvipc" });
    expect(run("jail", ["-m", "jid=7", "allow.mount=yes"])).toMatchObject({ code: 1, stderr: 'jail: allow.mount: unknown boolean value "yes"' });
    expect(run("jail", ["-m", "jid=seven", "persist"])).toMatchObject({ code: 1, stderr: 'jail: jid: non-integer value "seven"' });
    expect(run("jail", ["-m", "jid=7", "sysvmsg=private"])).toMatchObject({ code: 1, stderr: 'jail: sysvmsg: unknown jailsys value "private"' });
    expect(run("jail", ["-m", "jid=7", "enforce_statfs=3"])).toMatchObject({ code: 1, stderr: "jail: jail_set: Invalid argument" });
    expect(run("jail", ["-m", "persist"])).toMatchObject({ code: 1, stderr: "jail: no jail specified" });
    expect(run("jail", ["-m", "jid=8", "persist"])).toMatchObject({ code: 1, stderr: 'jail: "8" not found' });
    // Nothing refused changed the jail or was logged as run.
    expect(readFileSync(join(dir, "jails", "7"), "utf8")).toBe("persist=true\nenforce_statfs=2\nallow.mount=false\nallow.mount.fdescfs=false\nsysvshm=disable\n");
  });
});

describe("jls(8)", () => {
  it("prints name=value, booleans as name or noname, and refuses as jls does", () => {
    expect(run("jls", ["-j", "7", "-n", "enforce_statfs", "allow.mount", "persist", "allow.mount.fdescfs"])).toMatchObject({ code: 0, stdout: "enforce_statfs=2 allow.nomount persist allow.mount.nofdescfs\n" });
    expect(run("jls", ["-j", "7", "-n", "allow.mounts"])).toMatchObject({ code: 1, stderr: "jls: unknown parameter: allow.mounts" });
    expect(run("jls", ["-j", "9", "-n", "persist"])).toMatchObject({ code: 1, stderr: "jls: jail 9 not found" });
    expect(run("jls", ["-x"]).stderr).toContain("jls: usage: jls [-dhNnqv] [-j jail] [param ...]");
  });
});

describe("limits(1)", () => {
  it("reads values as limits.c does: sizes, times and counts each their own way", () => {
    const log = join(dir, "limits.log");
    expect(run("limits", ["-l", "64m", "-n", "0x1000", "-t", "1h30m", "true"], { FAKE_LIMITS_LOG: log }).code).toBe(0);
    expect(run("limits", ["-l", "INFINITY", "true"], { FAKE_LIMITS_LOG: log }).code).toBe(0);
    const usage = "usage: limits [-C class|-P pid|-U user] [-eaSHBE] [-bcdfklmnostuvpw [val]] [[name=val ...] cmd]";
    expect(run("limits", ["-n", "64m", "true"])).toMatchObject({ code: 1, stderr: `limits: invalid value -n \`64m'\n${usage}` });
    expect(run("limits", ["-l", "lots", "true"])).toMatchObject({ code: 1, stderr: `limits: invalid value -l \`lots'\n${usage}` });
    expect(run("limits", ["-q", "1", "true"])).toMatchObject({ code: 1, stderr: usage });
  });
});

describe("daemon(8)", () => {
  it("refuses a restart delay as daemon.c's strtonum does, exit 6, and an option it does not have", () => {
    expect(run("daemon", ["-P", join(dir, "d.pid"), "-R", "0", "true"])).toMatchObject({ code: 6, stderr: "daemon: invalid restart delay: too small" });
    expect(run("daemon", ["-P", join(dir, "d.pid"), "-R", "31536001", "true"])).toMatchObject({ code: 6, stderr: "daemon: invalid restart delay: too large" });
    expect(run("daemon", ["-P", join(dir, "d.pid"), "-R", "ten", "true"])).toMatchObject({ code: 6, stderr: "daemon: invalid restart delay: invalid" });
    expect(run("daemon", ["-P", join(dir, "d.pid"), "-G", "true"]).code).toBe(1);
  });
});
