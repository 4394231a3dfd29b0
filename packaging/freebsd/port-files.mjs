#!/usr/bin/env node
// The FreeBSD port's files that follow from the repository, in one place:
//   pkg-plist                       what the port installs (npm pack's file list + the extras below)
//   files/micropod.in, files/micropod_health.in
//                                   rc.d/* with /usr/local written as %%PREFIX%% (USE_RC_SUBR)
//   files/micropod.conf.sample      the newsyslog rule prepare-host writes, for LOG_DIR's default
//
// node packaging/freebsd/port-files.mjs           check them; exit 1 and show what differs
// node packaging/freebsd/port-files.mjs --write   rewrite them
// It also checks that the Makefile's RUN_DEPENDS are the packages prepare-host installs.
// Needs dist/ (npm run build): the newsyslog rule and the package list are micropod's own code.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTwoFilesPatch } from "diff";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
/** Where the port lives in the ports tree, and so here. */
const PORT_DIR = join(here, "sysutils/micropod");
/** The npm package's directory under PREFIX, as `npm install -g` lays it out (www/yarn does the same). */
const PACKAGE_DIR = "lib/node_modules/micropod";
const RC_SCRIPTS = ["micropod", "micropod_health"];

/**
 * What the port stages besides the npm package (Makefile's do-install), as pkg-plist lines.
 * pkg-plist conventions (Porter's Handbook, plist chapter): a configuration file the package
 * may install as working default is `@sample` (copied when absent, removed on deinstall only if
 * unmodified); micropod.env.sample is listed without `@sample` on purpose: DOMAIN cannot change
 * once the instance has federated, so a copied example.org configuration must never start.
 * Man pages are listed compressed (the framework gzips share/man).
 */
const EXTRA_PLIST = [
  "bin/micropod",
  "@sample etc/newsyslog.conf.d/micropod.conf.sample",
  "%%ETCDIR%%/micropod.env.sample",
  "share/bash-completion/completions/micropod",
  "share/man/man8/micropod.8.gz",
  "share/zsh/site-functions/_micropod",
];

/**
 * npm pack's file list for this checkout (package.json `files`, plus what npm always packs),
 * without dist/ outputs whose source is gone: tsc never deletes an old output, and a release
 * is built from a clean checkout (make-distfile.sh).
 */
function packageFiles() {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [{ files }] = JSON.parse(out);
  const hasSource = (path) => {
    if (!path.startsWith("dist/")) return true;
    const rel = path.slice("dist/".length);
    return existsSync(join(repo, "src", rel.replace(/\.js(\.map)?$/, ".ts"))) || existsSync(join(repo, "src", rel));
  };
  return files.filter((f) => hasSource(f.path));
}

const plistPath = (line) => line.replace(/^@\S+ /, "");

/** pkg-plist: the package's files (executables keep their mode: entrypoints are COPY'd into images) and the extras, by path. */
function pkgPlist(files = packageFiles()) {
  const lines = files.map((f) => `${f.mode & 0o111 ? "@(,,555) " : ""}${PACKAGE_DIR}/${f.path}`);
  return `${[...lines, ...EXTRA_PLIST].sort((a, b) => (plistPath(a) < plistPath(b) ? -1 : plistPath(a) > plistPath(b) ? 1 : 0)).join("\n")}\n`;
}

/**
 * An rc.d script as the port's files/<name>.in: /usr/local written as %%PREFIX%% (Porter's
 * Handbook rc.d checklist), except on the PATH line and the comment above it, which say where
 * node and podman live (%%LOCALBASE%%). SUB_LIST with both at /usr/local gives back the script
 * prepare-host installs, so it finds the package's copy identical and leaves it alone.
 */
const rcTemplate = (script) => {
  const lines = script.split("\n");
  const other = (i) => /^PATH=/.test(lines[i]) || /^PATH=/.test(lines[i + 1] ?? "");
  return lines.map((l, i) => l.replaceAll("/usr/local", other(i) ? "%%LOCALBASE%%" : "%%PREFIX%%")).join("\n");
};

async function newsyslogSample() {
  const dist = join(repo, "dist");
  if (!existsSync(join(dist, "host/resources/logs.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const { newsyslogRule } = await import(join(dist, "host/resources/logs.js"));
  const { hostOptions } = await import(join(dist, "host/options.js"));
  return newsyslogRule(hostOptions({}).logDir);
}

/** Every derived file of the port, by its path in the port directory. */
async function portFiles() {
  const files = new Map([["pkg-plist", pkgPlist()]]);
  for (const name of RC_SCRIPTS) files.set(`files/${name}.in`, rcTemplate(readFileSync(join(repo, "rc.d", name), "utf8")));
  files.set("files/micropod.conf.sample", await newsyslogSample());
  return files;
}

/**
 * The Makefile is written by hand, but its RUN_DEPENDS must be what prepare-host installs on
 * the host (its REQUIRED_PACKAGES: podman-compose only on request), each `name>=0:origin`.
 */
async function runDependsProblem(portDir) {
  const { REQUIRED_PACKAGES } = await import(join(repo, "dist/host/resources/packages.js"));
  const want = REQUIRED_PACKAGES.map((p) => `${p.name}>=0:${p.origin}`).sort();
  const block = /^RUN_DEPENDS=((?:.*\\\n)*.*)$/m.exec(readFileSync(join(portDir, "Makefile"), "utf8"))?.[1] ?? "";
  const have = block.split(/[\s\\]+/).filter(Boolean).sort();
  return have.join(" ") === want.join(" ") ? undefined : `Makefile: RUN_DEPENDS is ${have.join(" ") || "missing"}; prepare-host installs ${want.join(" ")}`;
}

/** The differences between the port directory and what the repository says it should hold, as patches. */
async function checkPort(portDir = PORT_DIR) {
  const problems = [];
  const deps = await runDependsProblem(portDir);
  if (deps) problems.push(deps);
  for (const [rel, want] of await portFiles()) {
    const path = join(portDir, rel);
    const have = existsSync(path) ? readFileSync(path, "utf8") : "";
    if (have !== want) problems.push(createTwoFilesPatch(`${rel} (in the port)`, `${rel} (from the repository)`, have, want, "", "", { context: 1 }));
  }
  return problems;
}

async function main(argv) {
  const portDir = argv.includes("--port") ? resolve(argv[argv.indexOf("--port") + 1]) : PORT_DIR;
  if (argv.includes("--write")) {
    const files = await portFiles();
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(portDir, rel)), { recursive: true });
      writeFileSync(join(portDir, rel), content);
    }
    console.log(`wrote ${[...files.keys()].join(", ")} in ${portDir}`);
    return 0;
  }
  const problems = await checkPort(portDir);
  if (problems.length === 0) return 0;
  process.stderr.write(`${problems.join("\n")}\nthe port is out of date: \`npm run build && node packaging/freebsd/port-files.mjs --write\` rewrites pkg-plist and files/ (RUN_DEPENDS is the Makefile's, edited by hand); commit the result\n`);
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
