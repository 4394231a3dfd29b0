import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MicropodError } from "../../src/core/errors.js";
import { BOOT_ENV_DEFAULT, boot } from "../../src/host/resources/boot.js";
import { requireTool } from "../support/require-tool.js";
import { type FakeHost, changingCalls, createFakeHost } from "./fake-host.js";

const repo = join(import.meta.dirname, "..", "..");
const packaged = (name: string) => readFileSync(join(repo, "rc.d", name), "utf8");

let host: FakeHost;
beforeEach(() => {
  host = createFakeHost();
});
afterEach(() => host.cleanup());

const rcDir = () => readdirSync(join(host.root, "usr/local/etc/rc.d")).sort();
const mode = (p: string) => statSync(join(host.root, p)).mode & 0o7777;

describe("boot: the rc scripts, micropod_enable and the shutdown timeouts", () => {
  it("--check on a fresh host shows the scripts, the sysrc and sysctl calls, and changes nothing", async () => {
    const before = host.snapshot();
    const r = await host.prepare({ check: true, resources: [boot] });
    // A new file is one hunk adding every line.
    const script = (name: string) => {
      const lines = packaged(name).replace(/\n$/, "").split("\n");
      return [`    @@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `    +${l}`.trimEnd())].join("\n");
    };
    expect(r.out).toBe(`change  boot            install /usr/local/etc/rc.d/micropod; install /usr/local/etc/rc.d/micropod_health; set micropod_enable=YES rcshutdown_timeout=300; kern.init_shutdown_timeout=330 live and in /etc/sysctl.conf
    --- /dev/null
    +++ /usr/local/etc/rc.d/micropod
${script("micropod")}
    --- /dev/null
    +++ /usr/local/etc/rc.d/micropod_health
${script("micropod_health")}
    $ sysrc -R $ROOT micropod_enable=YES rcshutdown_timeout=300
    $ sysctl kern.init_shutdown_timeout=330
    --- /dev/null
    +++ /etc/sysctl.conf
    @@ -0,0 +1,1 @@
    +kern.init_shutdown_timeout=330	# micropod: init waits this long for rc.shutdown (micropod stop)
    note: /usr/local/etc/micropod/micropod.env does not exist: at boot rc.d/micropod reads the suite's .env there (put it there, or rerun with --env FILE to point micropod_envfile at yours)
1 of 1 resources would change; run \`micropod prepare-host\` as root to apply
`);
    expect(changingCalls(host.calls())).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });

  it("moves a knob from its old, rc.subr-reserved name (micropod_health_program, micropod_program) to the new one", async () => {
    host.write("/usr/local/etc/micropod/micropod.env", "DOMAIN=example.org\n");
    host.write("/etc/rc.conf", 'hostname="mastodon.example"\nmicropod_health_enable="YES"\nmicropod_health_program="/opt/micropod/bin/micropod"\nmicropod_program="/opt/micropod/bin/micropod"\nmicropod_bin="/usr/local/bin/micropod"\n');
    const first = await host.prepare({ resources: [boot] });
    expect(first.out.split("\n")[0]).toContain(
      "set micropod_enable=YES micropod_health_bin=/opt/micropod/bin/micropod rcshutdown_timeout=300; remove micropod_program micropod_health_program (renamed: rc.subr reserves ${name}_program)",
    );
    // The new name set where it was not; an administrator's micropod_bin is kept.
    expect(host.file("/etc/rc.conf")).toBe(
      'hostname="mastodon.example"\nmicropod_health_enable="YES"\nmicropod_bin="/usr/local/bin/micropod"\nmicropod_enable="YES"\nmicropod_health_bin="/opt/micropod/bin/micropod"\nrcshutdown_timeout="300"\n',
    );
    expect((await host.prepare({ resources: [boot] })).changed).toBe(0);
  });

  it("enables micropod only; the health watcher is installed but left to `micropod health install --rc`; a rerun changes nothing", async () => {
    host.write("/usr/local/etc/micropod/micropod.env", "DOMAIN=example.org\n");
    const first = await host.prepare({ resources: [boot] });
    expect(first.out.split("\n")[0]).toBe(
      "changed boot            install /usr/local/etc/rc.d/micropod; install /usr/local/etc/rc.d/micropod_health; set micropod_enable=YES rcshutdown_timeout=300; kern.init_shutdown_timeout=330 live and in /etc/sysctl.conf",
    );
    expect(host.file("/etc/rc.conf")).toBe('hostname="mastodon.example"\nsshd_enable="YES"\nmicropod_enable="YES"\nrcshutdown_timeout="300"\n');
    expect(rcDir()).toEqual(["micropod", "micropod_health"]);
    expect(mode("/usr/local/etc/rc.d/micropod")).toBe(0o555);
    expect(mode("/usr/local/etc/rc.d/micropod_health")).toBe(0o555);
    expect(host.file("/var/backups/micropod.micropod-backup")).toBeUndefined();

    const calls = host.calls().length;
    const before = host.snapshot();
    const again = await host.prepare({ resources: [boot] });
    expect(again.out).toBe(`ok      boot            micropod enabled at boot (.env /usr/local/etc/micropod/micropod.env), micropod_health installed, shutdown timeouts 300/330 s or more
nothing changed: all 1 resources were already in place
`);
    expect(changingCalls(host.calls().slice(calls))).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });

  it("keeps longer shutdown timeouts the administrator chose, and raises shorter ones", async () => {
    host.write("/etc/rc.conf", 'rcshutdown_timeout="600"\n');
    host.write("/etc/sysctl.conf", "kern.init_shutdown_timeout=900\n");
    host.setJson("sysctl.json", { ...host.json<object>("sysctl.json"), "kern.init_shutdown_timeout": 900 });
    await host.prepare({ resources: [boot] });
    expect(host.file("/etc/rc.conf")).toBe('rcshutdown_timeout="600"\nmicropod_enable="YES"\n');
    expect(host.file("/etc/sysctl.conf")).toBe("kern.init_shutdown_timeout=900\n");
    expect(changingCalls(host.calls()).filter((c) => c[0] === "sysctl")).toEqual([]);

    host.write("/etc/rc.conf", 'rcshutdown_timeout="120"\nmicropod_enable="YES"\n');
    host.write("/etc/sysctl.conf", "# mine\nkern.init_shutdown_timeout=200\n");
    const r = await host.prepare({ resources: [boot] });
    expect(r.out.split("\n")[0]).toBe("changed boot            set rcshutdown_timeout=300; kern.init_shutdown_timeout=330 in /etc/sysctl.conf");
    expect(host.file("/etc/rc.conf")).toBe('rcshutdown_timeout="300"\nmicropod_enable="YES"\n');
    expect(host.file("/etc/sysctl.conf")).toBe("# mine\nkern.init_shutdown_timeout=330\t# micropod: init waits this long for rc.shutdown (micropod stop)\n");
  });

  it("never replaces an administrator's rc script of the same name without --force, and keeps the old one outside rc.d", async () => {
    const mine = "#!/bin/sh\n# PROVIDE: micropod\n# my own boot script\n";
    host.write("/usr/local/etc/rc.d/micropod", mine);
    const check = await host.prepare({ check: true, resources: [boot] });
    expect(check.out).toContain(
      "    refused: /usr/local/etc/rc.d/micropod was not written by micropod; rerun with --force to replace it (the old one is kept in /var/backups)\n",
    );
    const e = (await host.prepare({ resources: [boot] }).catch((x: unknown) => x)) as MicropodError;
    expect(e).toBeInstanceOf(MicropodError);
    expect(e.message).toBe(
      "prepare-host stopped at boot: /usr/local/etc/rc.d/micropod was not written by micropod; rerun with --force to replace it (the old one is kept in /var/backups)",
    );
    expect(host.file("/usr/local/etc/rc.d/micropod")).toBe(mine);
    expect(changingCalls(host.calls())).toEqual([]);

    await host.prepare({ resources: [boot], options: { force: true } });
    expect(host.file("/usr/local/etc/rc.d/micropod")).toBe(packaged("micropod"));
    expect(host.file("/var/backups/micropod.micropod-backup")).toBe(mine);
    // rc(8) would run anything in rc.d that says PROVIDE, a backup included.
    expect(rcDir()).toEqual(["micropod", "micropod_health"]);
  });

  it("replaces an older micropod-written script without --force, and puts a changed mode back to 0555", async () => {
    const older = packaged("micropod").replace("REQUIRE: LOGIN podman podman_service", "REQUIRE: LOGIN podman_service");
    host.write("/usr/local/etc/rc.d/micropod", older);
    await host.prepare({ resources: [boot] });
    expect(host.file("/usr/local/etc/rc.d/micropod")).toBe(packaged("micropod"));
    expect(host.file("/var/backups/micropod.micropod-backup")).toBe(older);

    chmodSync(join(host.root, "usr/local/etc/rc.d/micropod_health"), 0o755);
    const r = await host.prepare({ check: true, resources: [boot] });
    expect(r.out.split("\n").slice(0, 2)).toEqual(["change  boot            chmod 555 /usr/local/etc/rc.d/micropod_health", "    $ chmod 555 /usr/local/etc/rc.d/micropod_health"]);
    await host.prepare({ resources: [boot] });
    expect(mode("/usr/local/etc/rc.d/micropod_health")).toBe(0o555);
  });

  it("points micropod_envfile at the .env the run read, and needs no line for the default one", async () => {
    await host.prepare({ resources: [boot], options: { envFile: "/srv/mastodon/micropod.env" } });
    expect(host.file("/etc/rc.conf")).toContain('micropod_envfile="/srv/mastodon/micropod.env"\n');
    const r = await host.prepare({ resources: [boot], options: { envFile: "/srv/mastodon/micropod.env" } });
    expect(r.out).toContain("ok      boot            micropod enabled at boot (.env /srv/mastodon/micropod.env)");

    const fresh = createFakeHost();
    try {
      await fresh.prepare({ resources: [boot], options: { envFile: "/usr/local/etc/micropod/micropod.env" } });
      expect(fresh.file("/etc/rc.conf")).not.toContain("micropod_envfile");
    } finally {
      fresh.cleanup();
    }
  });

  it("refuses a package whose rc script lacks the managed-by line (it would become the administrator's once installed)", async () => {
    const script = join(host.packageDir, "rc.d", "micropod");
    writeFileSync(script, packaged("micropod").replace(/^# managed by micropod.*\n/m, ""));
    const e = (await host.prepare({ check: true, resources: [boot] }).catch((x: unknown) => x)) as MicropodError;
    expect(e.message).toBe(`prepare-host stopped at boot: ${script} lacks the "managed by micropod" line`);
  });
});

describe("the package's rc scripts", () => {
  it("pass shellcheck as POSIX sh, carry the managed-by line, and read the .env micropod's verbs default to", () => {
    requireTool("shellcheck", "shellcheck");
    for (const name of ["micropod", "micropod_health"]) {
      expect(execFileSync("shellcheck", ["-s", "sh", join(repo, "rc.d", name)], { encoding: "utf8" })).toBe("");
      expect(packaged(name).split("\n")[2]).toMatch(/^# managed by micropod: /);
    }
    const text = packaged("micropod");
    expect(text).toContain("# PROVIDE: micropod\n# REQUIRE: LOGIN podman podman_service\n# KEYWORD: shutdown\n");
    // The same .env `micropod start` finds by itself (context.ts defaultEnvFiles).
    expect(BOOT_ENV_DEFAULT).toBe("/usr/local/etc/micropod/micropod.env");
    expect(text).toContain(`: "\${micropod_envfile:=${BOOT_ENV_DEFAULT}}"\n: "\${micropod_bin:=/usr/local/bin/micropod}"\n`);
    expect(text).toContain('"${micropod_bin}" --json start --env "${micropod_envfile}"');
    expect(text).toContain('"${micropod_bin}" --json stop --env "${micropod_envfile}"');
  });
});
