import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PrerequisiteError } from "../../src/core/errors.js";
import { Redactor } from "../../src/core/redact.js";
import { adminCreate, credentialsPath } from "../../src/ops/admin.js";
import { execService, runTootctl } from "../../src/ops/passthrough.js";
import { searchSetup } from "../../src/ops/search.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { tempDir } from "../support/temp.js";
import { SandboxRunner, logBuffer, opsContext, service, suiteOf } from "./support.js";

/** admin create, tootctl and exec against a real container running a fake tootctl. */
let sandbox: PodmanSandbox;
let root: string;
const image = "localhost/fake-mastodon:test";

beforeAll(() => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  sandbox.podman(["build", "--tag", image, join(import.meta.dirname, "fixtures", "fake-mastodon")]);
  root = tempDir("micropod-ops-admin-");
  printf("sekrit-db-pass-42", "mastodon_db_pass");
  sandbox.podman(["run", "--detach", "--name", "mastodon-web", "--env", "RAILS_ENV=production", "--secret", "mastodon_db_pass,type=env,target=DB_PASS", image, "sleep", "600"]);
  sandbox.podman(["run", "--detach", "--name", "mastodon-opensearch", "localhost/busybox:test", "sleep", "600"]);
});


/** podman 4 wants a FIFO on stdin for `-`; Node gives it a socket, so the secret comes from a 0600 file. */
function printf(value: string, name: string) {
  const file = join(root, `${name}.secret`);
  writeFileSync(file, value, { mode: 0o600 });
  sandbox.podman(["secret", "create", name, file]);
}

function setup() {
  const suite = suiteOf(join(root, "compose.yaml"), [
    service("web", { image }),
    service("streaming", { image }),
    service("opensearch", { healthcheck: { test: ["CMD-SHELL", "test -e /tmp/healthy"], intervalMs: 200, timeoutMs: 2000, retries: 50, startPeriodMs: 0, startIntervalMs: 0 } }),
  ]);
  const redactor = new Redactor();
  const logs = logBuffer(redactor);
  const runner = new SandboxRunner(sandbox.env, redactor);
  const ctx = opsContext(root, suite, runner, { redactor, logger: logs.logger });
  return { ctx, runner, logs };
}

describe("admin create", () => {
  it("writes the password to a 0600 credentials file and never logs or prints it", async () => {
    const { ctx, runner, logs } = setup();
    ctx.logger.level = "debug";
    const r = await adminCreate(ctx, { username: "admin", email: "admin@social.example" });
    const file = credentialsPath(ctx.config.paths.data);
    expect(r).toEqual({ status: "created", credentialsFile: file });
    expect(runner.calls.at(-1)).toEqual(["podman", "exec", "mastodon-web", "bin/tootctl", "accounts", "create", "admin", "--email", "admin@social.example", "--confirmed", "--role", "Owner"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
    const text = readFileSync(file, "utf8");
    const password = /^password=([0-9a-f]{32})$/m.exec(text)?.[1];
    expect(password).toBeDefined();
    expect(text).toBe(
      `# Mastodon owner account created by micropod admin create. Keep this file private (mode 0600).\nurl=https://social.example/auth/sign_in\nusername=admin\nemail=admin@social.example\npassword=${password}\n`,
    );
    expect(ctx.redactor.leaks(password!)).toBe(true);
    expect(logs.text()).toContain("owner account created");
    expect(logs.text()).not.toContain(password);
    expect(ctx.printed).toEqual([`created owner admin <admin@social.example>; password in ${file}`]);
    expect(sandbox.podman(["exec", "mastodon-web", "cat", "/tmp/fake-tootctl.log"])).toContain("role=Owner confirmed=1 email=admin@social.example");

    // Rerun: says so, changes nothing.
    const before = statSync(file).mtimeMs;
    const again = await adminCreate(ctx, { username: "admin", email: "admin@social.example" });
    expect(again).toEqual({ status: "exists", reason: "account.username is already taken" });
    expect(ctx.printed.at(-1)).toBe(`account admin already exists (account.username is already taken); nothing changed, credentials stay in ${file}`);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("prints the password only when asked", async () => {
    const { ctx, logs } = setup();
    await adminCreate(ctx, { username: "second", email: "second@social.example", showPassword: true });
    const password = /^password=(\S+)$/m.exec(readFileSync(credentialsPath(ctx.config.paths.data), "utf8"))![1]!;
    expect(ctx.printed.at(-1)).toBe(`password: ${password}`);
    expect(logs.text()).not.toContain(password);
  });

  it("rejects a bad username before running anything", async () => {
    const { ctx, runner } = setup();
    await expect(adminCreate(ctx, { username: "no spaces", email: "a@b.example" })).rejects.toThrow('--username "no spaces": letters, digits and _ only, at most 30');
    expect(runner.calls).toEqual([]);
  });
});

describe("exec and tootctl passthrough", () => {
  const capture = (out: string[]) => (line: string) => void out.push(line);

  it("runs in the service's container with the suite's environment, secrets included, and passes the exit code", async () => {
    const { ctx, runner } = setup();
    const out: string[] = [];
    const code = await execService(ctx, "web", ["sh", "-c", 'echo "$RAILS_ENV $DB_PASS"; exit 3'], { tty: false, output: capture(out) });
    expect(code).toBe(3);
    expect(out).toEqual(["production sekrit-db-pass-42\n"]);
    expect(runner.calls.at(-1)).toEqual(["podman", "exec", "--interactive", "mastodon-web", "sh", "-c", 'echo "$RAILS_ENV $DB_PASS"; exit 3']);
  });

  it("tootctl runs bin/tootctl in web", async () => {
    const { ctx, runner } = setup();
    const out: string[] = [];
    expect(await runTootctl(ctx, ["search", "deploy"], { tty: false, output: capture(out) })).toBe(0);
    expect(runner.calls.at(-1)).toEqual(["podman", "exec", "--interactive", "mastodon-web", "bin/tootctl", "search", "deploy"]);
    expect(out).toEqual(["Done! 0 accounts, 0 statuses indexed\n"]);
  });

  it("a stopped service is a prerequisite error naming the fix", async () => {
    const { ctx } = setup();
    await expect(execService(ctx, "streaming", ["true"], { output: capture([]) })).rejects.toThrow(PrerequisiteError);
    await expect(execService(ctx, "streaming", ["true"], { output: capture([]) })).rejects.toThrow("service streaming (container mastodon-streaming) is not running");
  });
});

describe("search setup", () => {
  it("waits for opensearch's healthcheck, then deploys the indexes", async () => {
    const { ctx, runner } = setup();
    // How many commands had run when the check could first pass: ordering, not podman's speed, is asserted.
    let callsAtTouch = -1;
    setTimeout(() => {
      sandbox.podman(["exec", "mastodon-opensearch", "touch", "/tmp/healthy"]);
      callsAtTouch = runner.calls.length;
    }, 1500);
    await searchSetup(ctx);
    expect(callsAtTouch).toBeGreaterThan(0);
    expect(runner.calls.slice(0, callsAtTouch).some((c) => c.join(" ").includes("test -e /tmp/healthy"))).toBe(true);
    const deploy = runner.calls.findIndex((c) => c.join(" ") === "podman exec mastodon-web bin/tootctl search deploy");
    expect(deploy).toBeGreaterThanOrEqual(callsAtTouch);
    expect(runner.calls.at(-1)).toEqual(["podman", "exec", "mastodon-web", "bin/tootctl", "search", "deploy"]);
    expect(ctx.printed).toEqual(["Done! 0 accounts, 0 statuses indexed"]);
  });
});
