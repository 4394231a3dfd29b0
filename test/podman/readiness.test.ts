import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { NotReadyError } from "../../src/core/errors.js";
import { emptyObservedState } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { waitHealthy } from "../../src/engine/readiness.js";
import type { Runner } from "../../src/core/runner.js";
import { PodmanApiRunner } from "../../src/podman/api-runner.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { dep, health, service, suite } from "../support/make-suite.js";
import { startPodmanService } from "../support/podman-service.js";
import { requireTool } from "../support/require-tool.js";
import { SandboxRunner } from "./engine-support.js";

/**
 * micropod's own healthcheck against real podman: the probe's shell says when the check passed
 * (an exit status alone is not trusted), and an image without /bin/sh falls back to the bare
 * check, whose exit status is then all there is. Each case runs twice: forking the CLI, and over
 * podman's REST API (a `podman system service` on the same sandbox), which reports a missing
 * /bin/sh in its own words.
 */
let sb: PodmanSandbox;
let socket: string;

beforeAll(async () => {
  sb = createPodmanSandbox();
  sb.busyboxImage();
  // An image with busybox at /busybox and nothing else: no /bin/sh to exec.
  requireTool("busybox", "busybox-static");
  const rootfs = join(sb.root, "nosh-rootfs");
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  copyFileSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim(), join(rootfs, "busybox"));
  execFileSync("tar", ["-C", rootfs, "-cf", join(sb.root, "nosh.tar"), "."]);
  sb.podman(["import", join(sb.root, "nosh.tar"), "localhost/nosh:test"]);
  socket = (await startPodmanService(sb)).url.replace(/^unix:\/\//, "");
}, 120_000);

const runners: Record<string, () => Runner> = {
  cli: () => new SandboxRunner(sb),
  api: () => new PodmanApiRunner(new SandboxRunner(sb), socket),
};

/** The step that waits on `db` (a dependent waits for it healthy), and db running from `image`. */
/**
 * A container that becomes ready after a second gets a start_period covering it (failures
 * during it do not count, as in Compose): with none, three failed probes 0.2 s apart are a
 * correct "unhealthy" before the second is over, the faster the probes the sooner.
 */
function dbStep(project: string, image: string, test: string[], command: string[], startPeriodMs = 0) {
  const s = suite(
    [
      service("db", { project, image, command, healthcheck: health(test, { intervalMs: 200, timeoutMs: 5000, retries: 3, startPeriodMs }) }),
      service("web", { project, image, dependsOn: [dep("db", "service_healthy")] }),
    ],
    { project },
  );
  const step = planStart(s, { vars: {} }, emptyObservedState()).containers.find((c) => c.service === "db")!;
  sb.podman(["run", "-d", "--name", step.container, image, ...command]);
  return step;
}

describe.each(Object.keys(runners))("readiness on real podman (%s)", (way) => {
  const runner = () => runners[way]!();
  const wait = (step: ReturnType<typeof dbStep>) => waitHealthy(step, { runner: runner(), clock: systemClock, signal: AbortSignal.timeout(60_000) });

  it("a check that passes is seen through the line its shell prints; one that cannot pass fails with its own output", async () => {
    const ok = dbStep(`shok${way}`, "localhost/busybox:test", ["CMD-SHELL", "echo checking; test -f /tmp/ready"], ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"], 30_000);
    expect(await wait(ok)).toBeGreaterThan(0);
    const never = dbStep(`shnever${way}`, "localhost/busybox:test", ["CMD-SHELL", "echo checking; test -f /tmp/never"], ["sleep", "1000"]);
    const err = (await wait(never).catch((e: unknown) => e)) as NotReadyError;
    expect(err).toBeInstanceOf(NotReadyError);
    expect(err.message).toMatch(/^db is not healthy after [\d.]+s: healthcheck `echo checking; test -f \/tmp\/never` failed 3 times \(exit 1: checking\)$/);
  });

  it("an image without /bin/sh: podman's 127 naming /bin/sh makes the bare check the probe, and its exit status decides", async () => {
    const calls: string[][] = [];
    const inner = runner();
    const recording: Runner = { run: (c, o) => (calls.push([...c.argv]), inner.run(c, o)) };
    const step = dbStep(`nosh${way}`, "localhost/nosh:test", ["CMD", "/busybox", "test", "-f", "/tmp/ready"], ["/busybox", "sh", "-c", "/busybox sleep 1; /busybox touch /tmp/ready; exec /busybox sleep 1000"], 30_000);
    expect(await waitHealthy(step, { runner: recording, clock: systemClock, signal: AbortSignal.timeout(60_000) })).toBeGreaterThan(0);
    const execs = calls.filter((argv) => argv[1] === "exec").map((argv) => (argv.includes("micropod-watch") ? "watcher" : argv.includes("micropod-probe") ? "probe" : "check"));
    expect(execs.slice(0, 3).sort()).toEqual(["check", "probe", "watcher"]);
    expect(execs.at(-1)).toBe("check");
    const never = dbStep(`noshnever${way}`, "localhost/nosh:test", ["CMD", "/busybox", "test", "-f", "/tmp/never"], ["/busybox", "sleep", "1000"]);
    expect(((await wait(never).catch((e: unknown) => e)) as Error).message).toMatch(/failed 3 times \(exit 1\)$/);
  });
});
