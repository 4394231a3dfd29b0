import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { DockerfileParser, type Dockerfile } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { variables } from "../../src/config/variables.js";
import { FREEBSD_PACKAGES, installSpec, packagesFor } from "../../src/host/freebsd-packages.js";
import { baseImage, DEFAULT_FREEBSD_RELEASE } from "../../src/suite/base-images.js";
import { loadSuite } from "../../src/suite/load.js";
import { signalMismatchOnFreeBSD } from "../../src/podman/signals.js";
import { requireTool } from "../support/require-tool.js";

/**
 * The bundled Containerfiles, hook and scripts as files: they parse, build from the FreeBSD
 * bases named in base-images.ts at a pinned release, bake no secret in, copy only what their
 * context holds, and every shell script passes shellcheck as POSIX sh.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");
const images = readdirSync(containerfiles).filter((d) => existsSync(join(containerfiles, d, "Containerfile"))).sort();
const parse = (image: string): Dockerfile => DockerfileParser.parse(readFileSync(join(containerfiles, image, "Containerfile"), "utf8"));

/** Images built on the toolchain base: varnish compiles VCL, mastodon native gems. */
const toolchain = new Set(["varnish", "mastodon"]);
const KNOWN = new Set(["ARG", "FROM", "RUN", "COPY", "ENV", "WORKDIR", "VOLUME", "EXPOSE", "ENTRYPOINT", "CMD", "USER", "STOPSIGNAL", "LABEL"]);
/** Every secret of the shared names, under its .env and its in-container name, and anything like one. */
const SECRET_NAME =
  /^(DB_PASS|SECRET_KEY|SECRET_KEY_BASE|OTP_SECRET|VAPID_PRIVATE_KEY|ACTIVE_RECORD_ENCRYPTION_\w+|MY_MAIL_PASSWORD|SMTP_PASSWORD|S3_SECRET_ACCESS_KEY|AWS_SECRET_ACCESS_KEY|ELASTIC_PASSWORD|ES_PASS|DEEPL_API_KEY|PGPASSWORD)$|PASS|SECRET|TOKEN|PRIVATE|_KEY\b/i;

describe("Containerfiles", () => {
  it("are the images docs/suite.md names, plus the base", () => {
    expect(images).toEqual(["base", "haproxy", "maintaindb", "mastodon", "nginx", "nginx-media", "opensearch", "postgresql", "redis", "varnish"]);
  });

  it.each(images)("%s parses into known instructions with a FROM", (image) => {
    const df = parse(image);
    const keywords = df.getInstructions().map((i) => i.getKeyword());
    expect(keywords.filter((k) => !KNOWN.has(k))).toEqual([]);
    expect(df.getFROMs().length).toBeGreaterThan(0);
  });

  it.each(images)("%s stops with the signal it names on FreeBSD (podman reads STOPSIGNAL names as Linux's numbers)", (image) => {
    const stops = parse(image).getInstructions().filter((i) => i.getKeyword() === "STOPSIGNAL").map((i) => i.getArgumentsContent() ?? "");
    expect(stops.map((s) => [s, signalMismatchOnFreeBSD(s)]).filter(([, why]) => why)).toEqual([]);
  });

  it("base builds both targets from the official FreeBSD images at the pinned release", () => {
    const df = parse("base");
    expect(df.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue()])).toEqual([["FREEBSD_RELEASE", DEFAULT_FREEBSD_RELEASE]]);
    const expand = (s: string) => s.replace("${FREEBSD_RELEASE}", DEFAULT_FREEBSD_RELEASE);
    expect(df.getFROMs().map((f) => [expand(f.getImage()!), f.getBuildStage()])).toEqual([
      [baseImage("notoolchain"), "base"],
      [baseImage("toolchain"), "base-toolchain"],
    ]);
  });

  it.each(images.filter((i) => i !== "base" && i !== "maintaindb"))("%s builds FROM the micropod base at the pinned release", (image) => {
    const df = parse(image);
    expect(df.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue()])).toEqual([["FREEBSD_RELEASE", DEFAULT_FREEBSD_RELEASE]]);
    const base = toolchain.has(image) ? "localhost/micropod/base-toolchain" : "localhost/micropod/base";
    expect(df.getFROMs().map((f) => f.getImage())).toEqual([`${base}:\${FREEBSD_RELEASE}`]);
  });

  it("maintaindb builds on the mastodon image (psql and the Rails app for the migrations)", () => {
    const df = parse("maintaindb");
    expect(df.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue()])).toEqual([["MASTODON_IMAGE", "localhost/micropod/mastodon"]]);
    expect(df.getFROMs().map((f) => f.getImage())).toEqual(["${MASTODON_IMAGE}"]);
  });

  it("mastodon builds the newest Mastodon 4.5 patch release by default, the tag the configuration defaults to", () => {
    const arg = parse("mastodon")
      .getARGs()
      .find((a) => a.getProperty()!.getName() === "MASTODON_VERSION");
    // The newest 4.5.x release tag found: mastodon/mastodon pull request #40152 ("Bump version
    // to v4.5.16"); docs/images.md says how to find a newer one.
    expect(arg?.getProperty()!.getValue()).toBe("v4.5.16");
    expect(variables.find((v) => v.name === "MASTODON_VERSION")?.default).toBe(arg?.getProperty()!.getValue());
  });

  it.each(images)("%s bakes no secret in: no ENV or ARG named or valued like one", (image) => {
    const df = parse(image);
    const sampleSecrets = ["DB_PASS", "SECRET_KEY", "OTP_SECRET", "VAPID_PRIVATE_KEY", "MY_MAIL_PASSWORD", "S3_SECRET_ACCESS_KEY", "ELASTIC_PASSWORD", "DEEPL_API_KEY"];
    const props = [...df.getENVs().flatMap((e) => e.getProperties()), ...df.getARGs().map((a) => a.getProperty()!)];
    for (const p of props) {
      expect(p.getName(), `${image}: ${p.getName()}`).not.toMatch(SECRET_NAME);
      for (const s of sampleSecrets) expect(p.getValue() ?? "", `${image}: ${p.getName()}`).not.toContain(`\${${s}}`);
    }
    const copies = df.getCOPYs().flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    expect(copies.filter((c) => /\.env$|secret/i.test(c))).toEqual([]);
  });

  it.each(images)("%s copies only files its build context holds", (image) => {
    const df = parse(image);
    for (const c of df.getCOPYs()) {
      for (const src of c.getArguments().slice(0, -1).map((a) => a.getValue())) {
        if (src.startsWith("--")) continue;
        expect(existsSync(join(containerfiles, image, src)), `${image}: COPY ${src}`).toBe(true);
      }
    }
  });

  it("compose.yaml builds every image directory except base from its Containerfile", async () => {
    const vars = Object.fromEntries(parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]));
    const suite = await loadSuite(join(containerfiles, "compose.yaml"), vars);
    const contexts = new Set([...suite.services.values()].flatMap((s) => (s.build ? [relative(containerfiles, s.build.context)] : [])));
    for (const image of images.filter((i) => i !== "base")) expect(contexts.has(image), image).toBe(true);
  });
});

/** The words after `pkg install -y` in the image's RUN lines, ARGs replaced by their defaults. */
function pkgInstallArgs(image: string): string[] {
  const df = parse(image);
  const args = Object.fromEntries(df.getARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue() ?? ""]));
  const expand = (t: string) => t.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? `\${${n}}`);
  return df
    .getInstructions()
    .filter((i) => i.getKeyword() === "RUN")
    .flatMap((i) => [...expand(i.getRawArgumentsContent() ?? "").replace(/\\\n/g, " ").matchAll(/pkg install -y ((?:(?!&&)[^;|\n])*)/g)])
    .flatMap((m) => m[1]!.trim().split(/\s+/));
}

describe("the packages each image installs are src/host/freebsd-packages.ts's", () => {
  it.each(images)("%s", (image) => {
    expect(pkgInstallArgs(image).sort()).toEqual(packagesFor(image).map(installSpec).sort());
  });

  it("the table names only images that exist, and no package twice", () => {
    const places = new Set(FREEBSD_PACKAGES.flatMap((p) => p.for));
    expect([...places].filter((p) => p !== "host" && !images.includes(p))).toEqual([]);
    expect(new Set(FREEBSD_PACKAGES.map((p) => p.origin)).size).toBe(FREEBSD_PACKAGES.length);
    // Origins are category/port; a name that follows a default version is installed by origin.
    for (const p of FREEBSD_PACKAGES) {
      expect(p.origin, p.name).toMatch(/^[a-z0-9-]+\/[A-Za-z0-9._+-]+$/);
      if (/^(py\d+|ruby\d+|php\d+|p5)-/.test(p.name)) expect(p.by, p.name).toBe("origin");
    }
  });
});

function shellScripts(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".sh") || readFileSync(p, "utf8").startsWith("#!/bin/sh")) found.push(p);
    }
  };
  for (const d of ["containerfiles", "hooks.d", "test/content/fakes"]) walk(join(repo, d));
  return found.sort();
}

describe("shell scripts", () => {
  const scripts = shellScripts();

  it("include every entrypoint, configure script, helper and the hook", () => {
    const rel = scripts.map((s) => relative(repo, s));
    for (const must of [
      "hooks.d/micropod-jail.sh",
      "containerfiles/base/lib.sh",
      "containerfiles/base/render-template",
      "containerfiles/base/pkg-setup.sh",
      "containerfiles/postgresql/entrypoint.sh",
      "containerfiles/maintaindb/entrypoint.sh",
      "containerfiles/mastodon/entrypoint.sh",
      "containerfiles/redis/entrypoint.sh",
      "containerfiles/opensearch/entrypoint.sh",
      "containerfiles/nginx/configure.sh",
      "containerfiles/nginx-media/configure.sh",
      "containerfiles/varnish/configure.sh",
      "containerfiles/haproxy/configure.sh",
    ])
      expect(rel).toContain(must);
  });

  it.each(scripts.map((s) => relative(repo, s)))("%s passes shellcheck -s sh", (script) => {
    requireTool("shellcheck", "shellcheck");
    const r = spawnSync("shellcheck", ["-s", "sh", "-x", script], { cwd: repo, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe("the hook JSON", () => {
  const hook = JSON.parse(readFileSync(join(repo, "hooks.d/micropod-jail.json"), "utf8"));

  it("is a 1.0.0 createRuntime hook at the path prepare-host installs the script to", () => {
    expect(hook).toEqual({
      version: "1.0.0",
      hook: { path: "/usr/local/libexec/micropod/micropod-jail.sh", timeout: 10 },
      when: { annotations: { "^com\\.micropod\\.jail\\.profile$": "^(postgresql|opensearch)$" } },
      stages: ["createRuntime"],
    });
  });

  it("matches only the exact annotation and profiles (containers/common matches unanchored)", () => {
    const [[key, value]] = Object.entries(hook.when.annotations as Record<string, string>) as [[string, string]];
    const k = new RegExp(key);
    const v = new RegExp(value);
    expect(["com.micropod.jail.profile", "xcom.micropod.jail.profile", "com.micropod.jail.profiles", "comXmicropod.jail.profile"].map((s) => k.test(s))).toEqual([true, false, false, false]);
    expect(["postgresql", "opensearch", "xpostgresql", "opensearch-old", "redis", ""].map((s) => v.test(s))).toEqual([true, true, false, false, false, false]);
  });
});
