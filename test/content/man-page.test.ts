import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli.js";
import { allCommands, type CommandSpec, commandTree } from "../../src/completion/command-tree.js";
import { requireTool } from "../support/require-tool.js";

/**
 * man/micropod.8 against mandoc (Debian's `mandoc`, the formatter FreeBSD's man(1) uses) and
 * against the command line it documents: every verb commander registers has an entry, and
 * every option of that verb is named in it, so a new verb or option without a manual fails here.
 */
const repo = resolve(import.meta.dirname, "../..");
const manPage = join(repo, "man/micropod.8");
const noContext = () => {
  throw new Error("registering a verb must not need a context");
};

/**
 * The manuals micropod(8) refers to that a FreeBSD host has and this Debian machine does not:
 * mandoc reports each `Xr` to them as "referenced manual not found" here. Checked in
 * freebsd/freebsd-src: share/man/man5/{fdescfs,newsyslog.conf,pf.conf,rc.conf}.5,
 * usr.sbin/cron/crontab/crontab.5, usr.sbin/cron/cron/cron.8, usr.sbin/daemon/daemon.8,
 * usr.sbin/jail/jail.8, sbin/pfctl/pfctl.8, share/man/man8/rc.subr.8. podman(1) comes with
 * Debian's podman (sysutils/podman installs it on FreeBSD: its pkg-plist).
 */
const FREEBSD_MANUALS = ["crontab 5", "fdescfs 5", "newsyslog.conf 5", "pf.conf 5", "rc.conf 5", "cron 8", "daemon 8", "jail 8", "pfctl 8", "rc.subr 8"];

function lint(args: string[]): { code: number | null; messages: string[] } {
  requireTool("mandoc", "mandoc");
  const r = spawnSync("mandoc", ["-T", "lint", ...args, manPage], { encoding: "utf8", timeout: 30_000 });
  // Lint messages go to standard output; standard error only says whether this machine's
  // mandoc.db is current, which is not the page's business.
  return { code: r.status, messages: r.stdout.split("\n").filter(Boolean) };
}

/** Each command entry of the manual: the words after `.Cm` in its head, and its text up to the next entry. */
function manualEntries(text: string): Map<string, string> {
  const lines = text.split("\n");
  const entries = new Map<string, string>();
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const head = /^\.It Cm (.+)$/.exec(line) ?? (line === ".It Xo" ? /^\.Cm (.+)$/.exec(lines[i + 1] ?? "") : null);
    if (head) {
      const words = head[1]!.split(" ");
      const macro = words.findIndex((w) => /^[A-Z][a-z]$/.test(w));
      current = (macro < 0 ? words : words.slice(0, macro)).join(" ");
      entries.set(current, "");
    } else if (/^\.S[hs] /.test(line)) current = undefined;
    if (current !== undefined) entries.set(current, `${entries.get(current)}${line}\n`);
  }
  return entries;
}

/** What the manual lacks: verbs without an entry, and options (by long name) their entry does not name. */
function missingFromManual(tree: CommandSpec, text: string): string[] {
  const entries = manualEntries(text);
  const named = (block: string, long: string) => new RegExp(`(^|\\s)Fl ${long.slice(1)}(\\s|$)`, "m").test(block);
  const missing: string[] = [];
  for (const cmd of allCommands(tree).filter((c) => c.path.length > 0 && c.subcommands.length === 0)) {
    const key = cmd.path.join(" ");
    const block = entries.get(key);
    if (block === undefined) {
      missing.push(key);
      continue;
    }
    for (const o of cmd.options) {
      const long = o.names.find((n) => n.startsWith("--"))!;
      if (long !== "--help" && !named(block, long)) missing.push(`${key} ${long}`);
    }
  }
  const globals = /\.Ss Global options\n([\s\S]*?)\.Ss /.exec(text)?.[1] ?? "";
  for (const o of tree.options) {
    const long = o.names.find((n) => n.startsWith("--"))!;
    if (!new RegExp(`^\\.It .*Fl ${long.slice(1)}(\\s|$)`, "m").test(globals)) missing.push(`global ${long}`);
  }
  return missing;
}

describe("man/micropod.8", () => {
  it("has no mandoc error or warning", () => {
    const r = lint(["-W", "warning"]);
    expect(r.messages).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("has no style message either, except cross references to FreeBSD manuals this machine lacks", () => {
    const unexpected = lint([]).messages.filter((m) => {
      const xr = /STYLE: referenced manual not found: Xr (\S+ \d)( \(\d+ times\))?$/.exec(m);
      return !(xr && FREEBSD_MANUALS.includes(xr[1]!));
    });
    expect(unexpected).toEqual([]);
  });

  it("documents every verb and every option micropod registers", () => {
    const tree = commandTree(createProgram(noContext));
    expect(allCommands(tree).length).toBeGreaterThan(25);
    expect(missingFromManual(tree, readFileSync(manPage, "utf8"))).toEqual([]);
  });

  it("would name a verb or an option added without a manual entry", () => {
    const program = createProgram(noContext);
    program.command("adopt-later").description("a verb nobody documented").action(() => undefined);
    program.commands.find((c) => c.name() === "backup")!.option("--undocumented", "an option nobody documented");
    expect(missingFromManual(commandTree(program), readFileSync(manPage, "utf8"))).toEqual(["backup --undocumented", "adopt-later"]);
  });

  it("is in the npm package as its manual page", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { files: string[]; man: string[] };
    expect(pkg.files).toContain("man");
    expect(pkg.man).toEqual(["./man/micropod.8"]);
  });
});
