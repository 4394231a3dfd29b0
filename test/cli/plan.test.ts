import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateRailsSecret, generateVapidKeyPair } from "../../src/config/secrets.js";
import { ExitCode } from "../../src/core/errors.js";
import { installedCopy, repoRoot, runMicropod } from "../support/cli.js";
import { tempDir } from "../support/temp.js";

const sample = readFileSync(resolve(repoRoot, "sample.env"), "utf8");
const scratch = () => tempDir("micropod-plan-");

/**
 * `plan` with no .env falls back to the bundled sample.env, whose DATA_DIR is /var/db/micropod:
 * run as installed elsewhere, with the copy's sample pointing DATA_DIR and LOG_DIR at a temp
 * directory, so the fallback is tested without reading the machine's own secrets.
 */
let installed: string;
let sampleData: string;
beforeAll(() => {
  sampleData = tempDir("micropod-sample-data-");
  installed = installedCopy({ DATA_DIR: join(sampleData, "data"), LOG_DIR: join(sampleData, "log") });
});

/** sample.env with the given variables set (replacing their lines) and DATA_DIR in a scratch dir. */
function envWith(dir: string, values: Record<string, string>): string {
  let text = sample;
  for (const [k, v] of Object.entries({ DATA_DIR: join(dir, "data"), LOG_DIR: join(dir, "log"), ...values })) {
    const line = new RegExp(`^${k}=.*$`, "m");
    text = line.test(text) ? text.replace(line, `${k}=${v}`) : `${text}\n${k}=${v}\n`;
  }
  const file = join(dir, "test.env");
  writeFileSync(file, text);
  return file;
}

const bundledServices = [
  "base", "base-toolchain", "postgresql", "redis", "opensearch", "maintaindb", "mastodon",
  "sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler",
  "web", "streaming", "nginx", "nginx-media", "varnish", "haproxy",
];

/** The indented lines under the heading matching `heading`, up to the next blank line. */
function section(lines: readonly string[], heading: RegExp): string[] {
  const at = lines.findIndex((l) => heading.test(l));
  expect(at, `no line matches ${heading}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > at && !l.startsWith("  "));
  return lines.slice(at + 1, end < 0 ? undefined : end);
}

describe("micropod plan", () => {
  it("prints the plan for the bundled suite from sample.env as a reviewer reads it: summary, images, start order, in a terminal", () => {
    const r = runMicropod(["plan", "--fresh"], { cwd: scratch(), packageDir: installed });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(ExitCode.ok);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(45);
    // The first line says what would change: every container is new, every image to build.
    expect(lines[0]).toMatch(/^19 services: 16 to create, 3 build-only · 11 images to build, 0 cached · 2 networks, \d+ secrets to create$/);
    expect(r.stdout).toContain(`Configuration: ${join(installed, "sample.env")} (the bundled sample`);
    expect(r.stdout).toContain(`secrets to generate on first start, kept 0600 in ${join(sampleData, "data", "private", "secrets.env")}: DB_PASS, REDIS_PASSWORD, SECRET_KEY, OTP_SECRET`);

    // Images: one line each, by build round, why it builds and what it is FROM.
    const images = section(lines, /^Images, built in 3 rounds/);
    expect(images.map((l) => l.trim().split(/\s{2,}/))).toEqual(
      expect.arrayContaining([
        ["1", "base", "build", "no image"],
        ["2", "mastodon", "build", "no image (FROM base-toolchain)"],
        ["3", "maintaindb", "build", "no image (FROM mastodon)"],
      ]),
    );
    expect(images).toHaveLength(11);
    expect(images.map((l) => Number(l.trim().split(" ")[0]))).toEqual([...images.map((l) => Number(l.trim().split(" ")[0]))].sort());

    // Start order: one line per running service, its action, why, and what it waits on with which condition.
    const start = section(lines, /^Start order/).map((l) => l.trim().split(/\s{2,}/));
    expect(start.map((cells) => cells[0])).toEqual(bundledServices.filter((s) => !["base", "base-toolchain", "mastodon"].includes(s)));
    expect(start).toEqual(
      expect.arrayContaining([
        ["postgresql", "create", "no container"],
        ["maintaindb", "create", "no container", "waits on postgresql healthy"],
        ["web", "create", "no container", "waits on maintaindb completed_successfully, redis healthy"],
        ["haproxy", "create", "no container", "waits on varnish healthy, nginx-media healthy"],
      ]),
    );
    // The podman commands only behind --commands.
    expect(lines.filter((l) => /^\s*(\S+=\S+ )?podman /.test(l))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^`micropod plan --commands` lists the \d+ podman commands `micropod start` would run; `--json` prints everything\.$/);
    // Plan writes nothing, not even the sample's data directory.
    expect(readdirSync(sampleData)).toEqual([]);
  });

  it("--commands adds every podman command start would run, after the same plan", () => {
    const plain = runMicropod(["plan", "--fresh"], { cwd: scratch(), packageDir: installed });
    const r = runMicropod(["plan", "--fresh", "--commands"], { cwd: scratch(), packageDir: installed });
    expect(r.code).toBe(ExitCode.ok);
    const [plan, commands] = r.stdout.split(/\n\nThe \d+ podman commands `micropod start` would run:\n/);
    expect(plan).toBe(plain.stdout.split("\n\n`micropod plan --commands`")[0]);
    const count = Number(/lists the (\d+) podman commands/.exec(plain.stdout)![1]);
    expect(commands!.trimEnd().split("\n")).toHaveLength(count);
    // The two networks, isolated from each other (netavark; pf on FreeBSD).
    expect(commands).toMatch(/^ {2}podman network create .*--opt isolate=true .*--subnet 10\.89\.0\.0\/24 .* micropod$/m);
    expect(commands).toMatch(/^ {2}podman network create .*--opt isolate=true .*--subnet 10\.89\.1\.0\/24 .* micropod-frontend$/m);
    expect(commands).toMatch(/^ {2}podman start mastodon-haproxy$/m);
  });

  it("--json is one JSON document listing every service, its start step and its commands", () => {
    const r = runMicropod(["plan", "--fresh", "--json"], { cwd: scratch(), packageDir: installed });
    expect(r.code).toBe(ExitCode.ok);
    const doc = JSON.parse(r.stdout);
    expect(doc.suite.services).toEqual(bundledServices);
    expect(doc.upToDate).toBe(false);
    // Every service but the build-only template gets a container; the template is an image.
    const buildOnly = ["base", "base-toolchain", "mastodon"];
    const running = bundledServices.filter((s) => !buildOnly.includes(s));
    expect(doc.startOrder.map((s: { service: string }) => s.service).sort()).toEqual([...running].sort());
    expect(doc.images.map((i: { service: string }) => i.service)).toEqual(expect.arrayContaining(buildOnly));
    // Images built FROM the shared base wait for it; everything else builds in parallel.
    expect(doc.buildGroups[0]).toEqual(["base", "base-toolchain"]);
    for (const s of running) {
      expect(doc.commands).toContain(`podman start mastodon-${s}`);
    }
    // The start order respects every edge: each service appears after what it waits for.
    const position = new Map<string, number>(doc.startOrder.map((s: { service: string }, i: number) => [s.service, i]));
    for (const s of doc.startOrder) for (const w of s.waitsFor) expect(position.get(w.service)!).toBeLessThan(position.get(s.service)!);
  });

  it("shows no secret value in any line, whether given in .env or generated", () => {
    const dir = scratch();
    const vapid = generateVapidKeyPair();
    const secrets = {
      SECRET_KEY: generateRailsSecret(),
      OTP_SECRET: generateRailsSecret(),
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      DB_PASS: "Db-pass-that-must-not-leak-1",
      MY_MAIL_USER: "mailer",
      MY_MAIL_PASSWORD: "mail-pass-that-must-not-leak",
    };
    const env = envWith(dir, secrets);
    for (const args of [["plan", "--fresh", "--commands"], ["plan", "--fresh", "--json"], ["--json", "plan", "--fresh"]]) {
      const r = runMicropod([...args, "--env", env], { cwd: dir });
      expect(r.code).toBe(ExitCode.ok);
      const all = r.stdout + r.stderr;
      for (const [name, value] of Object.entries(secrets)) {
        if (name === "VAPID_PUBLIC_KEY" || name === "MY_MAIL_USER") continue; // not secrets
        expect(all, `${name} leaked`).not.toContain(value);
      }
      expect(all).toContain("********");
    }
    // Plan writes nothing: no secrets file, no data directory.
    expect(readdirSync(dir).sort()).toEqual(["test.env"]);
  });

  it("without --env finds micropod.env in MICROPOD_CONFIG_DIR, where the tests keep /usr/local/etc/micropod", () => {
    const dir = scratch();
    const configDir = tempDir("micropod-etc-");
    const env = envWith(configDir, {});
    const moved = join(configDir, "micropod.env");
    writeFileSync(moved, readFileSync(env, "utf8"));
    const r = runMicropod(["plan", "--fresh"], { cwd: dir, env: { MICROPOD_CONFIG_DIR: configDir } });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain(`Configuration: ${moved}\n`);
  });

  it("reports every mistake in a .env with its line, exits 3 and writes nothing", () => {
    const dir = scratch();
    const env = join(dir, "bad.env");
    writeFileSync(
      env,
      [
        `DATA_DIR=${join(dir, "data")}`,
        "DOMAIN=",
        "IP4_ADDRESS=192.0.2.300",
        "IP6_ADDRESS=2001:db8::10",
        "DB_PORT=70000",
        "DOMIAN=example.org",
        "",
      ].join("\n"),
    );
    const r = runMicropod(["plan", "--env", env], { cwd: dir });
    expect(r.code).toBe(ExitCode.config);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^micropod: /);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^ {2}${env}:2: DOMAIN: `)),
        expect.stringMatching(new RegExp(`^ {2}${env}:3: IP4_ADDRESS: `)),
        expect.stringMatching(new RegExp(`^ {2}${env}:4: IP6_ADDRESS: .*brackets`)),
        expect.stringMatching(new RegExp(`^ {2}${env}:5: DB_PORT: `)),
        expect.stringMatching(new RegExp(`^ {2}${env}:6: DOMIAN: .*DOMAIN`)),
      ]),
    );
    expect(r.stdout).toBe("");
    expect(readdirSync(dir)).toEqual(["bad.env"]);
  });

  it("rejects a broken compose file with exit 4 and the problem's path", () => {
    const dir = scratch();
    const compose = join(dir, "compose.yaml");
    writeFileSync(compose, "services:\n  a:\n    image: docker.io/library/busybox:1\n    depends_on: [b]\n");
    const r = runMicropod(["plan", "--fresh", "--compose", compose], { cwd: dir, packageDir: installed });
    expect(r.code).toBe(ExitCode.suite);
    expect(r.stderr).toMatch(/services\/a\/depends_on.*b/);
  });

  it("exits 2 on an unknown flag", () => {
    const r = runMicropod(["plan", "--no-such-flag"], { cwd: scratch() });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });
});

describe("the command line", () => {
  it("exits 0 for --help, 2 when no verb is given (a crontab line missing its verb must not pass)", () => {
    const cwd = scratch();
    expect(runMicropod(["--help"], { cwd }).code).toBe(ExitCode.ok);
    expect(runMicropod(["health", "--help"], { cwd }).code).toBe(ExitCode.ok);
    const bare = runMicropod([], { cwd });
    expect(bare.code).toBe(ExitCode.usage);
    expect(bare.stderr).toContain("Usage: micropod");
    expect(runMicropod(["health"], { cwd }).code).toBe(ExitCode.usage);
  });
});
