// A fake FreeBSD host for prepare-host tests. Every fake command keeps its state as JSON under
// $FAKE_STATE, reads and edits files under $FAKE_ROOT (the --root tree), logs its argv to
// $FAKE_STATE/calls.log, and rejects the argument forms the real command rejects (see each
// man page: zfs(8), pfctl(8), kldload(8), sysrc(8), service(8), sysctl(8), mount(8), pkg(8),
// route(8), freebsd-version(1), uname(1), df(1), podman-image-exists(1)).
import { appendFileSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { checkPfConf as checkPfGrammar } from "./pf-grammar.mjs";

const STATE = process.env.FAKE_STATE;
const ROOT = process.env.FAKE_ROOT;

function fail(msg, code = 1) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.exit(code);
}
const print = (s) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
const load = (name, dflt) => (existsSync(join(STATE, name)) ? JSON.parse(readFileSync(join(STATE, name), "utf8")) : dflt);
const save = (name, v) => writeFileSync(join(STATE, name), `${JSON.stringify(v, null, 2)}\n`);

/**
 * getopt(3): `spec` lists flags, a trailing ':' marks one taking an argument; a leading '+' (as
 * getopt_long reads it) changes nothing here, since parsing stops at the first operand anyway.
 * `order` lists the flags as given, for tools where the last one wins. An unknown flag is
 * "illegal option", a missing argument "option requires an argument", each with the usage.
 */
function getopt(tool, argv, spec, usage, { usageCode = 1 } = {}) {
  const takes = new Set();
  const flags = new Set();
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === ":") takes.add(spec[i++]);
    else flags.add(spec[i]);
  }
  const opts = {};
  const order = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { i++; break; }
    if (!a.startsWith("-") || a === "-") break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (takes.has(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) fail(`${tool}: option requires an argument -- ${c}\n${usage}`, usageCode);
        (opts[c] ??= []).push(v);
        order.push(c);
        break;
      }
      if (!flags.has(c)) fail(`${tool}: illegal option -- ${c}\n${usage}`, usageCode);
      opts[c] = [...(opts[c] ?? []), true];
      order.push(c);
    }
  }
  return { opts, args: argv.slice(i), order };
}

function rcConf(root) {
  const read = (p) => (existsSync(p) ? readFileSync(p, "utf8") : "");
  const vars = {};
  for (const text of [read(join(root, "etc/defaults/rc.conf")), read(join(root, "etc/rc.conf"))]) {
    for (const m of text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)="?([^"\n]*)"?\s*(#.*)?$/gm)) vars[m[1]] = m[2];
  }
  return vars;
}

const kld = () => load("kld.json", { loaded: [] });
const installed = () => load("pkg.json", { installed: {}, catalog: {} }).installed;

// ---------------------------------------------------------------------------------------------
const tools = {
  zfs(argv) {
    const [sub, ...rest] = argv;
    const ds = load("zfs.json", { datasets: {} });
    if (sub === "list") {
      const { opts, args } = getopt("zfs", rest, "Hprd:o:s:S:t:", "usage: zfs list [-Hp] [-r|-d max] [-o property[,...]] [-s property]... [-S property]... [-t type[,...]] [filesystem|volume|snapshot] ...");
      const cols = (opts.o?.[0] ?? "name,used,avail,refer,mountpoint").split(",");
      for (const c of cols) if (!["name", "mountpoint", "used", "avail", "refer", "creation"].includes(c)) fail(`bad property list: invalid property '${c}'`, 2);
      const types = (opts.t?.[0] ?? "filesystem,volume").split(",");
      for (const t of types) if (!["filesystem", "snapshot", "snap", "volume", "bookmark", "all"].includes(t)) fail(`invalid type '${t}'`, 2);
      const snaps = types.some((t) => t === "snapshot" || t === "snap" || t === "all");
      const fs = types.some((t) => t === "filesystem" || t === "all");
      // zfs list takes paths too (ZFS_ITER_ARGS_CAN_BE_PATHS): the file system mounted over it.
      const open = (arg) => {
        if (!arg.startsWith("/")) return ds.datasets[arg] ? arg : undefined;
        const holders = Object.keys(ds.datasets).filter((n) => ds.datasets[n].mountpoint.startsWith("/") && (arg === ds.datasets[n].mountpoint || arg.startsWith(`${ds.datasets[n].mountpoint.replace(/\/$/, "")}/`)));
        return holders.sort((a, b) => ds.datasets[b].mountpoint.length - ds.datasets[a].mountpoint.length)[0];
      };
      const names = args.length ? args : Object.keys(ds.datasets);
      let rc = 0;
      for (const arg of names) {
        const n = open(arg);
        if (!n) { process.stderr.write(arg.startsWith("/") ? `'${arg}': not a ZFS filesystem\n` : `cannot open '${arg}': dataset does not exist\n`); rc = 1; continue; }
        const d = ds.datasets[n];
        const rows = [...(fs ? [[n, d]] : []), ...(snaps ? Object.keys(ds.snapshots ?? {}).filter((s) => s.startsWith(`${n}@`)).map((s) => [s, { mountpoint: "-" }]) : [])];
        for (const [name, x] of rows) {
          const row = cols.map((c) => (c === "name" ? name : c === "mountpoint" ? x.mountpoint : "0"));
          print(opts.H ? row.join("\t") : row.join("  "));
        }
      }
      process.exit(rc);
    }
    if (sub === "snapshot") {
      // zfs_do_snapshot: a name without '@', or a file system that cannot be opened, is a usage error (exit 2).
      const usage = "usage:\n\tsnapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...";
      const { args } = getopt("zfs", rest, "ro:", usage);
      if (!args.length) fail(`missing snapshot argument\n${usage}`, 2);
      for (const a of args) {
        const at = a.indexOf("@");
        if (at < 0) fail(usage, 2);
        if (!ds.datasets[a.slice(0, at)]) fail(`cannot open '${a.slice(0, at)}': dataset does not exist\n${usage}`, 2);
        // namecheck.c valid_char: letters, digits, '-', '_', '.', ':' and space.
        const bad = /[^A-Za-z0-9_.: -]/.exec(a.slice(at + 1));
        if (bad || at === a.length - 1) fail(`cannot create snapshot '${a}': ${bad ? `invalid character '${bad[0]}' in name` : "empty component or misplaced '@' or '#' delimiter in name"}`);
        if (ds.snapshots?.[a]) fail(`cannot create snapshot '${a}': dataset already exists`);
      }
      for (const a of args) (ds.snapshots ??= {})[a] = { creation: Date.now() };
      save("zfs.json", ds);
      return;
    }
    if (sub === "create") {
      const { opts, args } = getopt("zfs", rest, "psuvnPb:o:V:", "usage: create [-Pnpuv] [-o property=value] ... <filesystem>");
      // Like zfs(8): -o values are checked while the options are parsed, before the operands.
      const props = {};
      for (const o of opts.o ?? []) {
        const eq = o.indexOf("=");
        if (eq < 0) fail(`missing '=' for property=value argument`, 2);
        props[o.slice(0, eq)] = o.slice(eq + 1);
      }
      if (args.length !== 1) fail(args.length ? "too many arguments" : "missing filesystem argument", 2);
      if (props.mountpoint !== undefined && !/^(\/|none$|legacy$)/.test(props.mountpoint)) fail(`cannot create '${args[0]}': 'mountpoint' must be an absolute path, 'none', or 'legacy'`);
      const name = args[0];
      if (ds.datasets[name]) fail(`cannot create '${name}': dataset already exists`);
      const parent = dirname(name);
      if (!name.includes("/")) fail(`cannot create '${name}': missing dataset name`, 2);
      if (!ds.datasets[parent]) {
        if (!opts.p) fail(`cannot create '${name}': parent does not exist`);
        let p = parent;
        const chain = [];
        while (p.includes("/") && !ds.datasets[p]) { chain.unshift(p); p = dirname(p); }
        if (!ds.datasets[p]) fail(`cannot create '${name}': no such pool '${p}'`);
        for (const c of chain) ds.datasets[c] = { mountpoint: join(ds.datasets[dirname(c)].mountpoint, c.split("/").pop()) };
      }
      ds.datasets[name] = { mountpoint: props.mountpoint ?? join(ds.datasets[parent].mountpoint, name.split("/").pop()) };
      save("zfs.json", ds);
      return;
    }
    fail(`unrecognized command '${sub}'\nusage: zfs command args ...`, 2);
  },

  kldload(argv) {
    const { opts, args } = getopt("kldload", argv, "nqv", "usage: kldload [-nqv] file ...");
    if (!args.length) fail("usage: kldload [-nqv] file ...");
    const k = kld();
    for (const m of args) {
      if (!["pf", "pflog", "fdescfs", "linux64", "nullfs"].includes(m)) fail(`kldload: can't load ${m}: No such file or directory`);
      if (k.loaded.includes(m)) {
        if (opts.n) continue;
        fail(`kldload: can't load ${m}: module already loaded or in kernel`);
      }
      k.loaded.push(m);
    }
    save("kld.json", k);
  },

  pfctl(argv) {
    const { opts, args } = getopt("pfctl", argv, "AdeghMmNnOPqRrvzF:f:s:t:T:a:D:K:k:o:p:x:", "usage: pfctl [-AdeghMmNnOPqRrvz] [-a anchor] [-D macro=value] [-F modifier] [-f file] [-s modifier] ...");
    if (args.length) fail(`pfctl: unknown argument '${args[0]}'`);
    if (!kld().loaded.includes("pf")) fail("pfctl: /dev/pf: No such file or directory");
    const pf = load("pf.json", { enabled: false, loaded: null, loads: 0 });
    if (opts.f) {
      const file = opts.f[0];
      if (!existsSync(file)) fail(`pfctl: ${file}: No such file or directory`);
      checkPfConf(file, readFileSync(file, "utf8"));
      if (!opts.n) {
        pf.loaded = readFileSync(file, "utf8");
        pf.loads++;
      }
    }
    if (opts.e) {
      if (pf.enabled) fail("pfctl: pf already enabled");
      pf.enabled = true;
      process.stderr.write("pf enabled\n");
    }
    if (opts.s) {
      const m = opts.s[0];
      if (m === "Running") process.exit(pf.enabled ? 0 : 1);
      if (m === "info") print(`Status: ${pf.enabled ? "Enabled" : "Disabled"}`);
      else if (m === "nat" || m === "n") print((pf.loaded ?? "").split("\n").filter((l) => /^(nat|rdr)/.test(l)).join("\n"));
      else fail(`pfctl: Unknown show modifier '${m}'`);
    }
    save("pf.json", pf);
  },

  sysrc(argv) {
    const usage = "usage: sysrc [-cdDeEFhinNqvx] [-s name] [-f file] [-j jail | -R dir] name[[+|-]=value] ...";
    const { opts, args } = getopt("sysrc", argv, "aAcdDeEFhinNqvxlLs:f:j:R:", usage);
    if (opts.f) fail("fake sysrc: -f is not used by micropod");
    if (!opts.R) fail("fake sysrc: refusing to edit the real /etc/rc.conf (tests always pass -R)");
    const root = opts.R[0];
    if (!existsSync(root)) fail(`sysrc: ${root}: No such file or directory`);
    if (!args.length) fail(usage);
    const file = join(root, "etc/rc.conf");
    let rc = 0;
    for (const a of args) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:([+-]?=)(.*))?$/.exec(a);
      if (!m) fail(`sysrc: ${a}: name contains characters not allowed in shell`);
      const [, name, op, value] = m;
      const vars = rcConf(root);
      if (opts.x) {
        // -x removes the variable from rc.conf; unknown is an error unless -i.
        if (op !== undefined) fail(`sysrc: ${a}: -x takes variable names`);
        if (!(name in vars)) { if (!opts.i) { process.stderr.write(`sysrc: unknown variable '${name}'\n`); rc = 1; } continue; }
        const text = existsSync(file) ? readFileSync(file, "utf8") : "";
        writeFileSync(file, text.replace(new RegExp(`^\\s*${name}=.*\\n?`, "gm"), ""));
        continue;
      }
      if (op === undefined) {
        if (!(name in vars)) { if (!opts.i) process.stderr.write(`sysrc: unknown variable '${name}'\n`); rc = opts.i ? rc : 1; continue; }
        if (opts.c) continue;
        print(opts.n ? vars[name] : `${name}: ${vars[name]}`);
        continue;
      }
      if (op !== "=") fail("fake sysrc: += and -= are not used by micropod");
      if (opts.c) { if (vars[name] !== value) rc = 1; continue; }
      const text = existsSync(file) ? readFileSync(file, "utf8") : "";
      const re = new RegExp(`^\\s*${name}=.*$`, "m");
      const line = `${name}="${value}"`;
      const next = re.test(text) ? text.replace(re, line) : `${text}${text && !text.endsWith("\n") ? "\n" : ""}${line}\n`;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, next);
      print(`${name}: ${vars[name] ?? ""} -> ${value}`);
    }
    process.exit(rc);
  },

  service(argv) {
    const { args } = getopt("service", argv, "ehlrRvj:E:", "usage: service [-j <jail name or id>] [-v] [-E var=value] <rc.d script> start|stop|etc.");
    if (args.length !== 2) fail("usage: service [-j <jail name or id>] [-v] [-E var=value] <rc.d script> start|stop|etc.");
    const [name, verb] = args;
    const scripts = { pf: "pf_enable", pflog: "pflog_enable", routing: null, podman: "podman_enable", podman_service: "podman_service_enable" };
    const fromPkg = { podman: "podman-suite", podman_service: "podman-suite" };
    if (!(name in scripts) || (fromPkg[name] && !installed()[fromPkg[name]])) {
      fail(`${name} does not exist in /etc/rc.d or the local startup directories (/usr/local/etc/rc.d), or is not executable`);
    }
    const m = /^(one|force|quiet|fast)?(start|stop|restart|status)$/.exec(verb);
    if (!m) fail(`/etc/rc.d/${name}: unknown directive '${verb}'.\nUsage: /etc/rc.d/${name} [fast|force|one|quiet](start|stop|restart|rcvar|enable|disable|delete|enabled|describe|extracommands|status|poll)`);
    const [, prefix, action] = m;
    const svc = load("services.json", { running: {}, restarts: {} });
    const rcvar = scripts[name];
    const enabled = rcvar === null || /^(yes|true|on|1)$/i.test(rcConf(ROOT)[rcvar] ?? "");
    const running = () => (name === "pf" ? load("pf.json", { enabled: false }).enabled : !!svc.running[name]);
    if (action === "status") {
      if (!enabled && prefix !== "one") fail(`Cannot 'status' ${name}. Set ${rcvar} to YES in /etc/rc.conf or use 'onestatus' instead of 'status'.`);
      if (running()) print(`${name} is running as pid 4242.`);
      else fail(`${name} is not running.`);
      return;
    }
    if (!enabled && prefix !== "one" && prefix !== "force") fail(`Cannot '${action}' ${name}. Set ${rcvar} to YES in /etc/rc.conf or use 'one${action}' instead of '${action}'.`);
    if (action === "start" && running()) { print(`${name} already running? (pid=4242).`); return; }
    if (name === "pf" && action !== "stop") {
      // rc.d/pf: load the module, the ruleset in /etc/pf.conf, enable.
      const k = kld();
      if (!k.loaded.includes("pf")) { k.loaded.push("pf"); save("kld.json", k); }
      const conf = join(ROOT, "etc/pf.conf");
      const pf = load("pf.json", { enabled: false, loaded: null, loads: 0 });
      if (existsSync(conf)) { checkPfConf(conf, readFileSync(conf, "utf8")); pf.loaded = readFileSync(conf, "utf8"); pf.loads++; }
      pf.enabled = true;
      save("pf.json", pf);
    }
    if (action === "restart") svc.restarts[name] = (svc.restarts[name] ?? 0) + 1;
    svc.running[name] = action !== "stop";
    save("services.json", svc);
    print(`Starting ${name}.`);
  },

  sysctl(argv) {
    const { opts, args } = getopt("sysctl", argv, "abdeFhiJlNnoqTtWxB:f:", "usage: sysctl [-bdeFhiJlNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...");
    if (!args.length) fail("usage: sysctl [-bdeFhiJlNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...");
    const s = load("sysctl.json", {});
    const exists = (n) => n in s && (!n.startsWith("net.pf.") || kld().loaded.includes("pf"));
    let rc = 0;
    for (const a of args) {
      // The first "=" splits name from value, as sysctl(8) does ("a=1=2" sets a to "1=2").
      const eq = a.indexOf("=");
      const [name, value] = eq < 0 ? [a, undefined] : [a.slice(0, eq), a.slice(eq + 1)];
      if (!exists(name)) { process.stderr.write(`sysctl: unknown oid '${name}'\n`); rc = 1; continue; }
      if (value === undefined) { print(opts.n ? String(s[name]) : `${name}: ${s[name]}`); continue; }
      if (name.startsWith("hw.")) { process.stderr.write(`sysctl: oid '${name}' is read only\n`); rc = 1; continue; }
      if (!/^-?\d+$/.test(value)) { process.stderr.write(`sysctl: invalid integer '${value}'\n`); rc = 1; continue; }
      print(`${name}: ${s[name]} -> ${value}`);
      s[name] = Number(value);
    }
    save("sysctl.json", s);
    process.exit(rc);
  },

  mount(argv) {
    const { opts, args } = getopt("mount", argv, "adflLnpruvwF:o:t:", "usage: mount [-adflpruvw] [-F fstab] [-o options] [-t ufs | external_type] special | node");
    const mounts = load("mounts.json", []);
    const type = opts.t?.[0];
    if (args.length === 0) {
      for (const m of mounts.filter((m) => !type || m.fstype === type)) print(opts.p ? `${m.device}\t\t${m.mountpoint}\t${m.fstype}\trw\t0 0` : `${m.device} on ${m.mountpoint} (${m.fstype})`);
      return;
    }
    if (args.length === 1) fail(`mount: ${args[0]}: unknown special file or file system`);
    if (args.length > 2) fail("usage: mount [-adflpruvw] [-F fstab] [-o options] [-t ufs | external_type] special | node");
    const fstype = type ?? "ufs";
    if (!["fdescfs", "procfs", "nullfs", "tmpfs", "zfs", "ufs"].includes(fstype)) fail(`mount: ${args[0]}: Operation not supported by device`);
    if (fstype === "ufs") fail(`mount: ${args[0]}: No such file or directory`);
    if (!args[1].startsWith("/")) fail(`mount: ${args[1]}: No such file or directory`);
    mounts.push({ device: args[0], mountpoint: args[1], fstype });
    save("mounts.json", mounts);
  },

  pkg(argv) {
    // pkg.json: { installed: {name: {version, origin}}, catalog: {name: {version, origin}} }.
    // A pattern holding "/" matches the origin, else the name, exactly (pkg-query(8),
    // pkg-install(8); libpkg/pkgdb_query.c); "origin@flavor" patterns are not used by micropod.
    const [sub, ...rest] = argv;
    const p = load("pkg.json", { installed: {}, catalog: {} });
    const matching = (set, pattern) => {
      if (pattern.includes("@")) fail(`fake pkg: flavour patterns (${pattern}) are not used by micropod`);
      return Object.keys(set).filter((n) => (pattern.includes("/") ? set[n].origin === pattern : n === pattern));
    };
    if (sub === "query") {
      const { args } = getopt("pkg query", rest, "aCegixF:", "usage: pkg query <query-format> <pkg-name>");
      const [format, ...patterns] = args;
      if (!format) fail("usage: pkg query <query-format> <pkg-name>");
      if (!/^%[nvo]$/.test(format)) fail(`fake pkg: query format ${format} is not used by micropod`);
      let printed = 0;
      for (const pattern of patterns) {
        for (const n of matching(p.installed, pattern)) {
          print(format === "%n" ? n : format === "%v" ? p.installed[n].version : p.installed[n].origin);
          printed++;
        }
      }
      process.exit(printed ? 0 : 1);
    }
    if (sub === "install") {
      const { opts, args } = getopt("pkg install", rest, "AfFgiIMnqRUxyr:", "usage: pkg install [-AfInFMqRUy] [-r reponame] [-Cgix] <pkg-name> ...");
      if (!args.length) fail("usage: pkg install [-AfInFMqRUy] [-r reponame] [-Cgix] <pkg-name> ...");
      if (!opts.y && process.env.ASSUME_ALWAYS_YES !== "yes") fail("Proceed with this action? [y/N]: ");
      const names = [];
      for (const a of args) {
        const hits = matching(p.catalog, a);
        if (!hits.length) fail(`pkg: No packages available to install matching '${a}' have been found in the repositories`);
        names.push(...hits);
      }
      for (const n of names) p.installed[n] = p.catalog[n];
      save("pkg.json", p);
      print(`Installed: ${names.join(" ")}`);
      return;
    }
    fail(`pkg: unknown command: ${sub}`);
  },

  route(argv) {
    const { args } = getopt("route", argv, "46dnqtvF:", "usage: route [-46dnqtv] command [[modifiers] args]");
    const [sub, ...rest] = args;
    if (sub !== "get") fail(`route: ${sub ?? ""}: fake route only knows get`);
    let family = "inet";
    const dest = [];
    for (const a of rest) {
      if (a === "-inet" || a === "-4") family = "inet";
      else if (a === "-inet6" || a === "-6") family = "inet6";
      else if (a.startsWith("-")) fail(`route: bad keyword: ${a.slice(1)}`);
      else dest.push(a);
    }
    if (dest.length !== 1) fail("usage: route [-46dnqtv] command [[modifiers] args]");
    // route.json: { inet: "vtnet0", inet6: "vtnet0", learned: ["inet6"] }; a learned route (from a
    // router advertisement) lacks STATIC, which route(8) add sets.
    const routes = load("route.json", {});
    const ifname = dest[0] === "default" ? routes[family] : undefined;
    if (!ifname) fail("route: route has not been found");
    print(`   route to: default\ndestination: default\n       mask: default\n    gateway: ${family === "inet" ? "192.0.2.1" : "fe80::1%" + ifname}\n        fib: 0\n  interface: ${ifname}\n      flags: <UP,GATEWAY,DONE${(routes.learned ?? []).includes(family) ? "" : ",STATIC"}>\n recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      1500         1         0`);
  },

  podman(argv) {
    if (!installed()["podman-suite"]) fail("podman: not found", 127);
    const images = load("images.json", []);
    if (argv[0] === "image" && argv[1] === "exists") {
      if (argv.length !== 3) fail(`Error: accepts 1 arg(s), received ${argv.length - 2}`, 125);
      process.exit(images.includes(argv[2]) ? 0 : 1);
    }
    if (argv[0] === "pull") {
      if (argv.length !== 2) fail("Error: requires exactly 1 arg", 125);
      if (!/^[a-z0-9.-]+\/[a-z0-9./-]+:[\w.-]+$/.test(argv[1])) fail(`Error: invalid reference format: ${argv[1]}`, 125);
      images.push(argv[1]);
      save("images.json", images);
      print("Writing manifest to image destination");
      return;
    }
    if (argv[0] === "ps") {
      // containers.json: the running containers' names (the fake host runs none unless a test says so).
      if (argv.length !== 3 || argv[1] !== "--format" || argv[2] !== "{{.Names}}") fail(`fake podman: ps ${argv.slice(1).join(" ")} is not used by micropod's host checks`, 125);
      for (const n of load("containers.json", [])) print(n);
      return;
    }
    fail(`Error: unrecognized command \`podman ${argv.join(" ")}\``, 125);
  },

  "freebsd-version"(argv) {
    const { opts, args } = getopt("freebsd-version", argv, "kruj:", "usage: freebsd-version [-kru] [-j jail]");
    if (args.length) fail("usage: freebsd-version [-kru] [-j jail]");
    const sys = load("system.json", {});
    if (opts.k || opts.r) print(sys.kernel);
    if (opts.u || !(opts.k || opts.r)) print(sys.userland);
  },

  uname(argv) {
    // uname(1), usr.bin/uname/uname.c: getopt "abiKmnoprsUv", no operands; -a is -mnrsv, -o is
    // -s; the fields print in one order whatever the flags' (s n r v m p i K U b), -s alone
    // when none is given. An unknown flag or an operand is the usage message, exit 1.
    // system.json: { sysname (default FreeBSD), kernel, userland, diskKB }.
    const { opts, args } = getopt("uname", argv, "abiKmnoprsUv", "usage: uname [-abiKmnoprsUv]");
    if (args.length) fail("usage: uname [-abiKmnoprsUv]");
    const sys = load("system.json", {});
    const has = (f) => !!opts[f] || (!!opts.a && "mnrsv".includes(f)) || (f === "s" && !!opts.o);
    const fields = {
      s: sys.sysname ?? "FreeBSD",
      n: sys.hostname ?? "mastodon.example",
      r: sys.kernel,
      v: sys.version ?? `FreeBSD ${sys.kernel} GENERIC amd64`,
      m: "amd64",
      p: "amd64",
      i: "GENERIC",
      K: String(sys.osreldate ?? 1500068),
      U: String(sys.osreldate ?? 1500068),
      b: sys.buildid ?? "0000000000000000000000000000000000000000",
    };
    const chosen = Object.keys(fields).filter(has);
    print((chosen.length ? chosen : ["s"]).map((f) => fields[f]).join(" "));
  },

  df(argv) {
    // df(1), bin/df/df.c: getopt_long "+abcgHhiklmnPt:T,"; the block size is the last of -b/-P
    // (512, but not after -k: POSIX's -P -k is 1024), -k (1024), -m, -g, and -h/-H print sizes
    // for people instead (not modelled here); -l and -t exclude each other. A usage error is
    // EX_USAGE (64); a path that does not exist is a warning and exit 1.
    const usage = "usage: df [-b | -g | -H | -h | -k | -m | -P] [-acilnT] [-t type] [-,]\n          [file | filesystem ...]";
    const { opts, args, order } = getopt("df", argv, "abcgHhiklmnPt:T,", usage, { usageCode: 64 });
    if (opts.l && opts.t) fail("df: -l and -t are mutually exclusive.");
    if ((opts.t ?? []).length > 1) fail("df: only one -t option may be specified");
    let blocks = process.env.BLOCKSIZE ?? "512";
    let human = false;
    let kflag = false;
    for (const f of order) {
      if (f === "k") { kflag = true; blocks = "1024"; human = false; }
      else if ((f === "P" || f === "b") && !kflag) { blocks = "512"; human = false; }
      else if (f === "m") { blocks = "1m"; human = false; }
      else if (f === "g") { blocks = "1g"; human = false; }
      else if (f === "h" || f === "H") human = true;
    }
    if (human) fail("fake df: -h and -H (sizes for people) are not modelled; micropod asks for -P -k");
    const unit = { "512": 512, "1024": 1024, "1m": 1024 ** 2, "1g": 1024 ** 3 }[blocks];
    if (!unit) fail(`fake df: BLOCKSIZE=${blocks} is not modelled`);
    const sys = load("system.json", {});
    const size = Math.floor(((sys.diskKB ?? 0) * 1024) / unit);
    const used = Math.floor(size / 4);
    const mounts = args.length ? args : load("mounts.json", []).map((m) => m.mountpoint);
    const rows = [];
    let rc = 0;
    for (const a of mounts) {
      if (args.length && !existsSync(a)) {
        process.stderr.write(`df: ${a}: No such file or directory\n`);
        rc = 1;
        continue;
      }
      rows.push(`zroot/containers ${size} ${used} ${size - used} 25% ${a}`);
    }
    if (rows.length) print([`Filesystem ${blocks === "1m" ? "1M" : blocks === "1g" ? "1G" : blocks}-blocks Used Avail Capacity Mounted on`, ...rows].join("\n"));
    process.exit(rc);
  },
};

/** pfctl's verdict on a pf.conf (pf-grammar.mjs): every error as pfctl prints it, then its last word, exit 1. */
function checkPfConf(file, text) {
  const errors = checkPfGrammar(file, text);
  if (errors.length) fail(`${errors.join("\n")}\npfctl: Syntax error in config file: pf rules not loaded`);
}

export function run(tool) {
  if (!STATE || !ROOT) fail(`fake ${tool}: FAKE_STATE and FAKE_ROOT must be set`);
  appendFileSync(join(STATE, "calls.log"), `${JSON.stringify([tool, ...process.argv.slice(2)])}\n`);
  tools[tool](process.argv.slice(2));
}
