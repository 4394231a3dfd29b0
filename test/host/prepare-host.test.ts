import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, MicropodError } from "../../src/core/errors.js";
import { pkgRepo } from "../../src/host/resources/pkg-repo.js";
import { zfsDatasets } from "../../src/host/resources/zfs-datasets.js";
import { jailProfiles } from "../../src/host/resources/jail-profiles.js";
import { gateway } from "../../src/host/resources/kernel.js";
import { packages } from "../../src/host/resources/packages.js";
import { type FakeHost, changingCalls, createFakeHost, pkgCatalog } from "./fake-host.js";

let host: FakeHost;
beforeEach(() => {
  host = createFakeHost();
});
afterEach(() => host.cleanup());

const RC_CONF_PREPARED = `hostname="mastodon.example"
sshd_enable="YES"
pf_enable="YES"
pflog_enable="YES"
gateway_enable="YES"
ipv6_gateway_enable="YES"
podman_service_enable="YES"
podman_enable="YES"
micropod_enable="YES"
rcshutdown_timeout="300"
`;

describe("prepare-host on a fresh host", () => {
  it("converges in one run, and a second run changes nothing", async () => {
    const first = await host.prepare();
    expect(first.changed).toBe(13);
    expect(first.out).toContain("changed 13 of 13 resources\n");

    expect(host.json("zfs.json")).toEqual({
      datasets: {
        zroot: { mountpoint: "/zroot" },
        "zroot/ROOT": { mountpoint: "none" },
        "zroot/containers": { mountpoint: "/var/db/containers" },
        "zroot/micropod": { mountpoint: "/var/db/micropod" },
      },
    });
    expect(host.file("/etc/rc.conf")).toBe(RC_CONF_PREPARED);
    const pfConf = host.file("/etc/pf.conf")!;
    expect(pfConf).toContain('v4egress_if = "vtnet0"\nv6egress_if = "vtnet0"\n');
    expect(host.json("pf.json")).toMatchObject({ enabled: true, loaded: pfConf });
    expect(host.file("/etc/pf.conf.micropod-new")).toBeUndefined();
    expect(host.json<Record<string, number>>("sysctl.json")["net.pf.filter_local"]).toBe(1);
    expect(host.file("/etc/sysctl.conf")).toBe(
      "net.pf.filter_local=1\t# micropod: podman's port forwards from the host itself\nkern.init_shutdown_timeout=330\t# micropod: init waits this long for rc.shutdown (micropod stop)\n",
    );
    expect(host.json<Record<string, number>>("sysctl.json")["kern.init_shutdown_timeout"]).toBe(330);
    // The package's rc scripts, byte for byte, 0555, and nothing else in rc.d (a backup there would run at boot).
    for (const name of ["micropod", "micropod_health"]) {
      expect(host.file(`/usr/local/etc/rc.d/${name}`)).toBe(readFileSync(join(import.meta.dirname, "..", "..", "rc.d", name), "utf8"));
      expect(statSync(join(host.root, "usr/local/etc/rc.d", name)).mode & 0o7777).toBe(0o555);
    }
    expect(readdirSync(join(host.root, "usr/local/etc/rc.d"))).toEqual(["micropod", "micropod_health"]);
    expect(host.file("/etc/fstab")).toBe(
      "# Device\tMountpoint\tFStype\tOptions\tDump\tPass#\n/dev/gpt/swap0\tnone\tswap\tsw\t0\t0\nfdesc\t/dev/fd\tfdescfs\trw\t0\t0\t# micropod: podman and ocijail need /dev/fd\n",
    );
    expect(host.file("/etc/fstab.micropod-backup")).toBe("# Device\tMountpoint\tFStype\tOptions\tDump\tPass#\n/dev/gpt/swap0\tnone\tswap\tsw\t0\t0\n");
    expect(host.json("mounts.json")).toContainEqual({ device: "fdesc", mountpoint: "/dev/fd", fstype: "fdescfs" });
    // Forwarding goes on live; routing is never restarted (that flushes learned default routes).
    expect(host.json("services.json")).toEqual({ running: { pf: true, pflog: true, podman_service: true, podman: true }, restarts: {} });
    expect(host.json<Record<string, number>>("sysctl.json")).toMatchObject({ "net.inet.ip.forwarding": 1, "net.inet6.ip6.forwarding": 1 });
    expect(host.json("images.json")).toEqual(["docker.io/freebsd/freebsd-notoolchain:15.0", "docker.io/freebsd/freebsd-toolchain:15.0"]);
    expect(host.file("/usr/local/etc/containers/containers.conf")).toBe(
      '# managed by micropod: podman engine settings micropod needs\n# Changes here are replaced by `micropod prepare-host`; remove this line to keep your own version.\n[engine]\nhooks_dir = ["/usr/local/etc/containers/hooks.d"]\n',
    );
    expect(host.file("/usr/local/libexec/micropod/micropod-jail.sh")).toContain("#!/bin/sh");
    expect(statSync(join(host.root, "/usr/local/libexec/micropod/micropod-jail.sh")).mode & 0o777).toBe(0o755);
    expect(host.file("/usr/local/etc/pkg/repos/FreeBSD.conf")).toContain('url: "pkg+https://pkg.FreeBSD.org/${ABI}/latest"');
    // micropod's own logs only: conmon never reopens a container's k8s-file log (podman's max-size caps those).
    expect(host.file("/usr/local/etc/newsyslog.conf.d/micropod.conf")).toBe(`# managed by micropod: rotation of micropod's own logs (podman's max-size caps the container logs)
# Changes here are replaced by \`micropod prepare-host\`; remove this line to keep your own version.
# logfilename                        [owner:group] mode count size when flags [/pid_file]
/var/log/containers/build-*.log      root:wheel    640  7     10240 *    GNZ
/var/log/micropod-health.log         root:wheel    640  7     1024  *    Z     /var/run/micropod_health.pid
/var/log/micropod.log                root:wheel    640  7     1024  *    NZ
/var/log/micropod-certs.log          root:wheel    640  7     1024  *    NZ
`);
    // newsyslog signals the daemon(8) supervisor of rc.d/micropod_health, which reopens the log on SIGHUP (-H).
    const healthRc = readFileSync(join(import.meta.dirname, "..", "..", "rc.d", "micropod_health"), "utf8");
    expect(healthRc).toContain('pidfile="/var/run/${name}.pid"');
    expect(healthRc).toContain('name="micropod_health"');
    expect(healthRc).toContain(': "${micropod_health_logfile:=/var/log/micropod-health.log}"');
    expect(healthRc).toMatch(/command_args="-P \$\{pidfile\} .*-H -o \$\{micropod_health_logfile\}/);
    expect(readFileSync(join(import.meta.dirname, "..", "..", "rc.d", "micropod"), "utf8")).toContain(': "${micropod_logfile:=/var/log/micropod.log}"');

    // pf: loaded only after pfctl -nf accepted the candidate.
    const pfCalls = changingCalls(host.calls())
      .filter((c) => c[0] === "kldload" || c[0] === "pfctl")
      .map((c) => c.join(" ").replaceAll(host.root, "$ROOT"));
    expect(pfCalls).toEqual(["kldload -n pf", "pfctl -nf $ROOT/etc/pf.conf.micropod-new", "pfctl -f $ROOT/etc/pf.conf"]);

    const callsBefore = host.calls().length;
    const before = host.snapshot();
    const second = await host.prepare();
    expect(second.changed).toBe(0);
    expect(second.out).toBe(`ok      pkg-repo        /usr/local/etc/pkg/repos/FreeBSD.conf selects the latest stream
ok      packages        installed: podman-suite ocijail jq git
ok      zfs-datasets    zroot/containers at /var/db/containers, zroot/micropod at /var/db/micropod
ok      logs            /var/log/containers exists, rotated by /usr/local/etc/newsyslog.conf.d/micropod.conf
ok      pf              /etc/pf.conf has podman's NAT rules (egress vtnet0 / vtnet0)
ok      pf-service      pf, pflog enabled and running
ok      sysctl          net.pf.filter_local=1 live and in /etc/sysctl.conf
ok      gateway         gateway_enable and ipv6_gateway_enable are YES, forwarding on
ok      fdescfs         fdescfs on /dev/fd, and in /etc/fstab
ok      jail-profiles   hook installed in /usr/local/etc/containers/hooks.d and set in /usr/local/etc/containers/containers.conf
    note: ocijail 0.4.0 ignores org.freebsd.jail.* annotations (0.5+ reads them): the micropod-jail hook applies both profiles
ok      podman-services podman_service, podman enabled and running
ok      boot            micropod enabled at boot (.env /usr/local/etc/micropod/micropod.env), micropod_health installed, shutdown timeouts 300/330 s or more
    note: /usr/local/etc/micropod/micropod.env does not exist: at boot rc.d/micropod reads the suite's .env there (put it there, or rerun with --env FILE to point micropod_envfile at yours)
ok      base-images     FreeBSD 15.0 base images present
nothing changed: all 13 resources were already in place
`);
    expect(changingCalls(host.calls().slice(callsBefore))).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });

  it("--check lists every change, runs no changing command and writes nothing, even not as root", async () => {
    const before = host.snapshot();
    const check = await host.prepare({ check: true, platform: { isRoot: false, system: "FreeBSD", release: "15.0-RELEASE" } });
    expect(check.changed).toBe(13);
    const statuses = check.out.split("\n").filter((l) => /^\S/.test(l)).map((l) => l.slice(0, 24).trimEnd());
    expect(statuses).toEqual([
      "change  pkg-repo",
      "change  packages",
      "change  zfs-datasets",
      "change  logs",
      "change  pf",
      "change  pf-service",
      "change  sysctl",
      "change  gateway",
      "change  fdescfs",
      "change  jail-profiles",
      "change  podman-services",
      "change  boot",
      "change  base-images",
      "13 of 13 resources would",
    ]);
    expect(check.out).toContain(`change  packages        install podman-suite ocijail jq git
    $ ASSUME_ALWAYS_YES=yes pkg install -y podman-suite ocijail jq git
change  zfs-datasets    create zroot/containers at /var/db/containers, zroot/micropod at /var/db/micropod
    $ zfs create -p -o mountpoint=/var/db/containers zroot/containers
    $ zfs create -p -o mountpoint=/var/db/micropod zroot/micropod
`);
    expect(check.out).toContain(`    $ kldload -n pf
    $ pfctl -nf $ROOT/etc/pf.conf.micropod-new
    $ pfctl -f $ROOT/etc/pf.conf
change  pf-service      set pf_enable=YES pflog_enable=YES; start pf, pflog
    $ sysrc -R $ROOT pf_enable=YES pflog_enable=YES
    $ service pf start
    $ service pflog start
change  sysctl          net.pf.filter_local=1 live and in /etc/sysctl.conf
    $ sysctl net.pf.filter_local=1
`);
    expect(check.out).toContain(`change  gateway         set gateway_enable=YES ipv6_gateway_enable=YES; net.inet.ip.forwarding=1 net.inet6.ip6.forwarding=1 live
    $ sysrc -R $ROOT gateway_enable=YES ipv6_gateway_enable=YES
    $ sysctl net.inet.ip.forwarding=1 net.inet6.ip6.forwarding=1
change  fdescfs  `);
    expect(changingCalls(host.calls())).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });
});

describe("--check where the host cannot be inspected", () => {
  it("off FreeBSD: runs no command at all, lists all thirteen, calls none applied, and says which could not be inspected and what they check", async () => {
    const before = host.snapshot();
    const check = await host.prepare({ check: true, platform: { isRoot: false, system: "Linux", release: "6.1.0-28-amd64" } });
    expect(check.changed).toBe(2);
    expect(check.notInspected).toBe(11);
    const statuses = check.out.split("\n").filter((l) => /^\S/.test(l)).map((l) => l.slice(0, 24).trimEnd());
    expect(statuses).toEqual([
      "change  pkg-repo",
      "unknown packages",
      "unknown zfs-datasets",
      "change  logs",
      "unknown pf",
      "unknown pf-service",
      "unknown sysctl",
      "unknown gateway",
      "unknown fdescfs",
      "unknown jail-profiles",
      "unknown podman-services",
      "unknown boot",
      "unknown base-images",
      "2 of 13 resources would",
    ]);
    expect(check.out).toContain(`unknown zfs-datasets    could not inspect: this is Linux 6.1.0-28-amd64, not FreeBSD (\`zfs list -H -o name,mountpoint zroot\` not run)
    on a FreeBSD host it checks: zfs list: pool zroot, zroot/containers at /var/db/containers, zroot/micropod at /var/db/micropod
`);
    expect(check.out).toContain(
      "2 of 13 resources would change; 11 could not be inspected here (this is Linux 6.1.0-28-amd64, not FreeBSD): run `micropod prepare-host --check` on the FreeBSD host for them. Nothing was changed\n",
    );
    expect(check.out).not.toMatch(/applied|changed \d/);
    // Linux's route, sysctl, mount and service would answer about Linux: none of them ran.
    expect(host.calls()).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });

  it("on FreeBSD without a tool (zfs not installed): that resource could not be inspected, the run goes on through the rest", async () => {
    const bare = createFakeHost({ without: ["zfs"] });
    try {
      const check = await bare.prepare({ check: true });
      expect(check.changed).toBe(12);
      expect(check.notInspected).toBe(1);
      expect(check.out).toContain(`unknown zfs-datasets    could not inspect: zfs is not installed (\`zfs list -H -o name,mountpoint zroot\` not run)\n`);
      expect(check.out).toContain("change  base-images     pull docker.io/freebsd/freebsd-notoolchain:15.0");
      expect(check.out).toMatch(/12 of 13 resources would change; 1 could not be inspected here \(zfs is not installed\)/);
      // A real run stops there, as at any missing prerequisite, saying what was applied before.
      const e = (await bare.prepare({ resources: [pkgRepo, zfsDatasets] }).catch((x: unknown) => x)) as MicropodError;
      expect(e.message).toBe("prepare-host stopped at zfs-datasets: could not inspect: zfs is not installed (`zfs list -H -o name,mountpoint zroot` not run)");
      expect(e.exitCode).toBe(ExitCode.prerequisite);
      expect(e.details).toContain("already applied: pkg-repo");
    } finally {
      bare.cleanup();
    }
  });
});

describe("refusals and failures", () => {
  it("refuses to change a host that is not FreeBSD 15+ as root, saying why, and changes nothing", async () => {
    const before = host.snapshot();
    const cases = [
      [{ isRoot: true, system: "Linux", release: "6.1.0" }, "prepare-host changes a FreeBSD host, and this is Linux 6.1.0: nothing was changed"],
      [{ isRoot: true, system: "FreeBSD", release: "14.3-RELEASE" }, "prepare-host needs FreeBSD 15 or later (podman, ocijail and the base images it sets up target it), and this host runs 14.3-RELEASE"],
      [{ isRoot: false, system: "FreeBSD", release: "15.0-RELEASE" }, "prepare-host must run as root: podman on FreeBSD runs as root only, and it edits /etc, ZFS and pf"],
    ] as const;
    for (const [platform, message] of cases) await expect(host.prepare({ platform })).rejects.toThrow(message);
    expect(host.calls()).toEqual([]);
    expect(host.snapshot()).toEqual(before);
  });

  it("a pfctl parse failure leaves /etc/pf.conf untouched and pf not reloaded; the rerun completes", async () => {
    await host.prepare();
    const goodPf = host.file("/etc/pf.conf");
    const loads = host.json<{ loads: number }>("pf.json").loads;
    // A template whose NAT rule follows a filter rule: pfctl refuses it.
    const template = join(host.packageDir, "pf", "pf.conf.in");
    const good = readFileSync(template, "utf8");
    writeFileSync(template, `${good}nat on $v4egress_if inet from 10.77.0.0/24 to any -> ($v4egress_if)\n`);
    const callsBefore = host.calls().length;
    const err = await host.prepare().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MicropodError);
    const e = err as MicropodError;
    expect(e.message).toBe("prepare-host stopped at pf: pfctl rejected the new ruleset: /etc/pf.conf is unchanged and pf was not reloaded");
    expect(e.details.join("\n").replaceAll(host.root, "$ROOT")).toBe(
      `$ROOT/etc/pf.conf.micropod-new:47: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering
pfctl: Syntax error in config file: pf rules not loaded
nothing was applied before this step
fix the cause and run \`micropod prepare-host\` again: finished steps are found in place and skipped`,
    );
    expect(host.file("/etc/pf.conf")).toBe(goodPf);
    expect(host.file("/etc/pf.conf.micropod-new")).toBeUndefined();
    expect(host.json<{ loads: number; loaded: string }>("pf.json")).toMatchObject({ loads, loaded: goodPf });
    expect(changingCalls(host.calls().slice(callsBefore)).map((c) => c.slice(0, 2))).toEqual([["kldload", "-n"], ["pfctl", "-nf"]]);

    writeFileSync(template, good.replace('pass out all keep state', 'pass out all keep state\npass in proto tcp to port 22'));
    const rerun = await host.prepare();
    expect(rerun.changed).toBe(1);
    expect(host.file("/etc/pf.conf")).toContain("pass in proto tcp to port 22\n");
    expect(host.file("/etc/pf.conf.micropod-backup")).toBe(goodPf);
  });

  it("a failing step stops the run, says what was applied, and a rerun completes", async () => {
    host.setJson("pkg.json", { installed: {}, catalog: pkgCatalog({ ocijail: "0.5.2" }, ["jq"]) });
    const e = (await host.prepare().catch((x: unknown) => x)) as MicropodError;
    expect(e.message).toBe("prepare-host stopped at packages: command failed with exit code 1: ASSUME_ALWAYS_YES=yes pkg install -y podman-suite ocijail jq git");
    expect(e.details).toEqual([
      "pkg: No packages available to install matching 'jq' have been found in the repositories",
      "already applied: pkg-repo",
      "fix the cause and run `micropod prepare-host` again: finished steps are found in place and skipped",
    ]);
    host.setJson("pkg.json", { installed: {}, catalog: pkgCatalog({ ocijail: "0.5.2" }) });
    const rerun = await host.prepare();
    expect(rerun.changed).toBe(12);
    expect(rerun.out).toMatch(/^ok {6}pkg-repo /);
    expect(rerun.out).toContain("note: ocijail 0.5.2 applies the org.freebsd.jail.* annotations (allow.* and sysv*); the hook is a fallback\n");
  });
});

describe("packages", () => {
  it("installs by origin where the name follows a default version (--with-compose: sysutils/podman-compose is py311-podman-compose), and finds it by origin", async () => {
    const r = await host.prepare({ resources: [packages], options: { withCompose: true } });
    expect(r.out).toBe(`changed packages        install podman-suite ocijail jq git sysutils/podman-compose
    $ ASSUME_ALWAYS_YES=yes pkg install -y podman-suite ocijail jq git sysutils/podman-compose
changed 1 of 1 resources
`);
    // git by name: its origin would also match the git-lite flavour.
    expect(Object.keys(host.json<{ installed: object }>("pkg.json").installed).sort()).toEqual(["git", "jq", "ocijail", "podman-suite", "py311-podman-compose"]);
    const again = await host.prepare({ resources: [packages], options: { withCompose: true } });
    expect(again.out).toBe("ok      packages        installed: podman-suite ocijail jq git sysutils/podman-compose\nnothing changed: all 1 resources were already in place\n");
    expect(host.calls().filter((c) => c[0] === "pkg" && c[1] === "query").at(-1)).toEqual(["pkg", "query", "%o", "podman-suite", "ocijail", "jq", "git", "sysutils/podman-compose"]);
  });
});

describe("gateway", () => {
  it("turns forwarding on live and in rc.conf, never restarts routing, and notes an IPv6 default route learned from a router advertisement", async () => {
    host.setJson("route.json", { inet: "vtnet0", inet6: "vtnet0", learned: ["inet6"] });
    const r = await host.prepare({ resources: [gateway] });
    expect(r.out.replaceAll(host.root, "$ROOT")).toBe(`changed gateway         set gateway_enable=YES ipv6_gateway_enable=YES; net.inet.ip.forwarding=1 net.inet6.ip6.forwarding=1 live
    $ sysrc -R $ROOT gateway_enable=YES ipv6_gateway_enable=YES
    $ sysctl net.inet.ip.forwarding=1 net.inet6.ip6.forwarding=1
    note: the IPv6 default route via vtnet0 came from a router advertisement, which FreeBSD ignores while forwarding: it expires unless you set ipv6_cpe_wanif="vtnet0" in /etc/rc.conf (or net.inet6.ip6.rfc6204w3=1 in /etc/sysctl.conf and live)
changed 1 of 1 resources
`);
    expect(changingCalls(host.calls()).map((c) => c.join(" ").replaceAll(host.root, "$ROOT"))).toEqual([
      "sysrc -R $ROOT gateway_enable=YES ipv6_gateway_enable=YES",
      "sysctl net.inet.ip.forwarding=1 net.inet6.ip6.forwarding=1",
    ]);
    expect(host.json<Record<string, number>>("sysctl.json")).toMatchObject({ "net.inet.ip.forwarding": 1, "net.inet6.ip6.forwarding": 1, "net.inet6.ip6.rfc6204w3": 0 });

    // rc.conf already says YES but forwarding was turned off live: only the sysctl runs.
    host.setJson("sysctl.json", { ...host.json<object>("sysctl.json"), "net.inet6.ip6.forwarding": 0, "net.inet6.ip6.rfc6204w3": 1 });
    const callsBefore = host.calls().length;
    const again = await host.prepare({ resources: [gateway] });
    expect(again.out.split("\n")[0]).toBe("changed gateway         net.inet6.ip6.forwarding=1 live");
    expect(again.out).not.toContain("note:");
    expect(changingCalls(host.calls().slice(callsBefore)).map((c) => c.join(" "))).toEqual(["sysctl net.inet6.ip6.forwarding=1"]);
  });

  it("says nothing about a static IPv6 default route", async () => {
    const r = await host.prepare({ resources: [gateway] });
    expect(r.out).not.toContain("note:");
    expect(changingCalls(host.calls()).filter((c) => c[0] === "service")).toEqual([]);
  });
});

describe("jail profiles", () => {
  it("installs the package's own hook: the JSON into hooks_dir, the script where the JSON's hook.path says", async () => {
    const repo = join(import.meta.dirname, "..", "..");
    const hookJson = readFileSync(join(repo, "hooks.d", "micropod-jail.json"), "utf8");
    const scriptPath = (JSON.parse(hookJson) as { hook: { path: string } }).hook.path;
    await host.prepare({ resources: [jailProfiles], options: { packageDir: repo } });
    expect(host.file("/usr/local/etc/containers/hooks.d/micropod-jail.json")).toBe(hookJson);
    expect(host.file(scriptPath)).toBe(readFileSync(join(repo, "hooks.d", "micropod-jail.sh"), "utf8"));
    expect(statSync(join(host.root, scriptPath)).mode & 0o777).toBe(0o755);
    expect((await host.prepare({ resources: [jailProfiles], options: { packageDir: repo } })).changed).toBe(0);
  });
});

describe("an administrator's files", () => {
  const ADMIN_PF = `# my own rules
ext_if = "igb0"
set skip on lo0
scrub in all
block in on $ext_if
pass in on $ext_if proto tcp to port { 22 80 443 }
pass out all
`;

  it("merges only the missing lines into the administrator's pf.conf, in the section pf requires", async () => {
    host.write("/etc/pf.conf", ADMIN_PF);
    host.setJson("route.json", { inet: "igb0" });
    const r = await host.prepare();
    expect(r.out).toContain("note: no IPv6 default route: IPv6 NAT goes out through igb0 (override with --egress-v6)");
    expect(host.file("/etc/pf.conf")).toBe(`# my own rules
ext_if = "igb0"
# added by micropod prepare-host: needed by podman's networks
v4egress_if = "igb0"
v6egress_if = "igb0"
table <cni-nat> persist { 10.88.0.0/16 10.89.0.0/24 fd00:10:89::/64 10.89.1.0/24 fd00:10:89:1::/64 }
table <micropod-backend> const { 10.89.0.0/24 fd00:10:89::/64 }
table <micropod-frontend> const { 10.89.1.0/24 fd00:10:89:1::/64 }
set skip on lo0
scrub in all
# added by micropod prepare-host: needed by podman's networks
nat on $v4egress_if inet from <cni-nat> to any -> ($v4egress_if)
nat on $v6egress_if inet6 from <cni-nat> to !ff00::/8 -> ($v6egress_if)
rdr-anchor "cni-rdr/*"
nat-anchor "cni-rdr/*"
block in on $ext_if
pass in on $ext_if proto tcp to port { 22 80 443 }
pass out all
# added by micropod prepare-host: needed by podman's networks
anchor "cni-rdr/*"
block in quick on $v4egress_if inet to <cni-nat>
block in quick on $v6egress_if inet6 to <cni-nat>
block quick from <micropod-frontend> to <micropod-backend>
block quick from <micropod-backend> to <micropod-frontend>
pass quick inet proto icmp all keep state
pass quick inet6 proto icmp6 all keep state
pass from <cni-nat> to any keep state
`);
    expect(host.file("/etc/pf.conf.micropod-backup")).toBe(ADMIN_PF);
    expect(host.json<{ loaded: string }>("pf.json").loaded).toBe(host.file("/etc/pf.conf"));
    const again = await host.prepare({ resources: [(await import("../../src/host/resources/pf.js")).pf] });
    expect(again.changed).toBe(0);
  });

  it("refuses a conflicting pf.conf with the diff unless --force, and never clobbers it", async () => {
    const podmanSample = `v4egress_if = "ix0"
v6egress_if = "ix0"
nat on $v4egress_if inet from <cni-nat> to any -> ($v4egress_if)
nat on $v6egress_if inet6 from <cni-nat> to !ff00::/8 -> ($v6egress_if)
rdr-anchor "cni-rdr/*"
nat-anchor "cni-rdr/*"
table <cni-nat>
pass all
`;
    host.write("/etc/pf.conf", podmanSample);
    const { pf } = await import("../../src/host/resources/pf.js");
    const check = await host.prepare({ check: true, resources: [pf] });
    expect(check.out).toBe(`refused pf              the administrator's /etc/pf.conf says otherwise on 3 line(s) micropod needs
    --- /etc/pf.conf
    +++ /etc/pf.conf
    @@ -1,8 +1,20 @@
    -v4egress_if = "ix0"
    -v6egress_if = "ix0"
    +v4egress_if = "vtnet0"
    +v6egress_if = "vtnet0"
    +# added by micropod prepare-host: needed by podman's networks
    +table <micropod-backend> const { 10.89.0.0/24 fd00:10:89::/64 }
    +table <micropod-frontend> const { 10.89.1.0/24 fd00:10:89:1::/64 }
     nat on $v4egress_if inet from <cni-nat> to any -> ($v4egress_if)
     nat on $v6egress_if inet6 from <cni-nat> to !ff00::/8 -> ($v6egress_if)
     rdr-anchor "cni-rdr/*"
     nat-anchor "cni-rdr/*"
    -table <cni-nat>
    +table <cni-nat> persist { 10.88.0.0/16 10.89.0.0/24 fd00:10:89::/64 10.89.1.0/24 fd00:10:89:1::/64 }
     pass all
    +# added by micropod prepare-host: needed by podman's networks
    +anchor "cni-rdr/*"
    +block in quick on $v4egress_if inet to <cni-nat>
    +block in quick on $v6egress_if inet6 to <cni-nat>
    +block quick from <micropod-frontend> to <micropod-backend>
    +block quick from <micropod-backend> to <micropod-frontend>
    +pass quick inet proto icmp all keep state
    +pass quick inet6 proto icmp6 all keep state
    +pass from <cni-nat> to any keep state
    $ kldload -n pf
    $ pfctl -nf $ROOT/etc/pf.conf.micropod-new
    $ pfctl -f $ROOT/etc/pf.conf
    note: yours: v4egress_if = "ix0"
      micropod needs: v4egress_if = "vtnet0"
    note: yours: v6egress_if = "ix0"
      micropod needs: v6egress_if = "vtnet0"
    note: yours: table <cni-nat>
      micropod needs: table <cni-nat> persist { 10.88.0.0/16 10.89.0.0/24 fd00:10:89::/64 10.89.1.0/24 fd00:10:89:1::/64 }
    refused: /etc/pf.conf is the administrator's and conflicts with what podman's networks need; rerun with --force to apply the diff shown (a backup is kept)
1 of 1 resources would change; run \`micropod prepare-host\` as root to apply
`);
    const e = (await host.prepare({ resources: [pf] }).catch((x: unknown) => x)) as MicropodError;
    expect(e.message).toBe(
      "prepare-host stopped at pf: /etc/pf.conf is the administrator's and conflicts with what podman's networks need; rerun with --force to apply the diff shown (a backup is kept)",
    );
    expect(e.exitCode).toBe(5);
    expect(host.file("/etc/pf.conf")).toBe(podmanSample);
    expect(changingCalls(host.calls())).toEqual([]);

    await host.prepare({ resources: [pf], options: { force: true } });
    expect(host.file("/etc/pf.conf.micropod-backup")).toBe(podmanSample);
    expect(host.file("/etc/pf.conf")).toContain('v4egress_if = "vtnet0"\n');
    expect(host.file("/etc/pf.conf")).toContain("table <cni-nat> persist { 10.88.0.0/16 10.89.0.0/24 fd00:10:89::/64 10.89.1.0/24 fd00:10:89:1::/64 }\npass all\n");
  });

  it("keeps every other setting and comment of an administrator's containers.conf", async () => {
    const admin = `# site settings, do not lose
[containers]
log_driver = "k8s-file"   # we read logs from files

[engine]
# the engine
image_parallel_copies = 2
[engine.runtimes]
runc = ["/usr/local/bin/runc"]
`;
    host.write("/usr/local/etc/containers/containers.conf", admin);
    await host.prepare({ resources: [jailProfiles] });
    expect(host.file("/usr/local/etc/containers/containers.conf")).toBe(`# site settings, do not lose
[containers]
log_driver = "k8s-file"   # we read logs from files

[engine]
hooks_dir = ["/usr/local/etc/containers/hooks.d"]  # micropod: its OCI hooks (jail profiles)
# the engine
image_parallel_copies = 2
[engine.runtimes]
runc = ["/usr/local/bin/runc"]
`);
    expect(host.file("/usr/local/etc/containers/containers.conf.micropod-backup")).toBe(admin);
  });
});
