import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import { type Command, renderCommand } from "../../../src/core/command.js";
import { NotReadyError } from "../../../src/core/errors.js";
import type { RunResult, Runner } from "../../../src/core/runner.js";
import { emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { FIRST_PROBE_DELAY_MS, PROBE_DELAY_FRACTION, nextProbeDelay, waitHealthy } from "../../../src/engine/readiness.js";
import { health, service, suite } from "../../support/make-suite.js";

/**
 * Time that passes only when the code under test sleeps or a command "takes" time. A sleep first
 * lets whatever already happened be seen (a watcher that answered), and one cut short by its
 * signal takes no time.
 */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms, signal) => {
      await new Promise((r) => setImmediate(r));
      signal?.throwIfAborted();
      slept.push(ms);
      t += ms;
    },
  };
}

/** What podman 4.3.1 with runc says, exit 127, when the image has no /bin/sh to exec (seen here; test/podman/readiness.test.ts). */
const NO_SHELL = 'Error: runc: exec failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: OCI runtime attempted to invoke a command that was not found';

/**
 * podman as the probe loop sees it: `exec` answers with the check's exit code (or 125 once the
 * container is gone, as podman does), and a probe's shell prints micropod-check-passed after a
 * pass; `inspect` and `logs` describe the container. The watcher answers `watcherExit`; 127
 * stands for an image without /bin/sh, where every exec of /bin/sh fails as podman's does and
 * only the bare check runs. Anything else is a command the loop has no business running.
 */
function scriptedPodman(clock: ReturnType<typeof fakeClock>, probeExits: number[], container: { running: boolean; exitCode: number }, watcherExit = 127) {
  const calls: string[] = [];
  const shell = watcherExit !== 127;
  const runner: Runner = {
    async run(c: Command): Promise<RunResult> {
      const line = renderCommand(c);
      const verb = c.argv.slice(1, 3).join(" ");
      if (c.argv.includes("micropod-watch")) return { exitCode: watcherExit, stdout: watcherExit === 0 ? "micropod-check-passed\n" : "", stderr: shell ? "" : NO_SHELL };
      calls.push(line);
      if (verb.startsWith("exec ")) {
        await clock.sleep(100); // a probe takes time too
        if (c.argv.includes("micropod-probe") && !shell) return { exitCode: 127, stdout: "", stderr: NO_SHELL };
        const code = probeExits.shift() ?? 0;
        const passed = code === 0 && c.argv.includes("micropod-probe") ? "micropod-check-passed\n" : "";
        return { exitCode: code, stdout: passed, stderr: code === 125 ? "Error: can only create exec sessions on running containers: container state improper" : code ? "not ready" : "" };
      }
      if (verb === "container inspect") return { exitCode: 0, stdout: JSON.stringify([{ Id: "x", Name: "demo-db", State: { Status: container.running ? "running" : "exited", Running: container.running, ExitCode: container.exitCode, StartedAt: "", FinishedAt: "" }, Config: { Labels: {} }, Image: "i", ImageName: "n", RestartCount: 0 }]), stderr: "" };
      if (verb.startsWith("logs ")) return { exitCode: 0, stdout: "line 1\nline 2\n", stderr: "" };
      throw new Error(`unexpected command: ${line}`);
    },
  };
  return { runner, calls };
}

const PROBE = `podman exec demo-db /bin/sh -c '"$@" && echo micropod-check-passed' micropod-probe pg_isready`;
const CHECK = "podman exec demo-db pg_isready";

const demo = suite([
  service("db", { healthcheck: health(["CMD", "pg_isready"], { intervalMs: 2000, timeoutMs: 1000, retries: 3, startPeriodMs: 1000, startIntervalMs: 250 }) }),
  service("web", { dependsOn: [{ service: "db", condition: "service_healthy", required: true }] }),
]);
const step = planStart(demo, { vars: {} }, emptyObservedState()).containers.find((c) => c.service === "db")!;

describe("waitHealthy: micropod's own healthcheck runs", () => {
  it("probes at once, then soon, each wait an eighth of the time spent so far, capped at start_interval; never inspects while the check merely fails", async () => {
    const clock = fakeClock();
    const { runner, calls } = scriptedPodman(clock, [1, 1, 1, 1, 1, 1, 1, 1, 0], { running: true, exitCode: 0 });
    const ms = await waitHealthy(step, { runner, clock, signal: new AbortController().signal });
    // The probe's shell is missing (podman exec: 127, naming /bin/sh): the bare check from then on.
    expect(calls).toEqual([PROBE, ...Array(9).fill(CHECK)]);
    // Each probe "takes" 100 ms; waits: 50 ms first, then elapsed/8 once that is more, never past start_interval (250 ms).
    const waits = clock.slept.filter((s) => s !== 100);
    expect(waits.slice(0, 2)).toEqual([50, 50]);
    expect(waits.every((w, i) => w <= 250 && (i === 0 || w >= waits[i - 1]!))).toBe(true);
    expect(waits.at(-1)).toBeGreaterThan(50);
    expect(ms).toBe(10 * 100 + waits.reduce((a, b) => a + b, 0));
  });

  it("the schedule grows from FIRST_PROBE_DELAY_MS to start_interval, then interval, and never waits past the next probe that counts", () => {
    const hc = { intervalMs: 2000, startPeriodMs: 10_000, startIntervalMs: 1000 };
    expect(nextProbeDelay(hc, 0, 10_000)).toBe(FIRST_PROBE_DELAY_MS);
    expect(nextProbeDelay(hc, 2000, 8000)).toBe(2000 * PROBE_DELAY_FRACTION);
    expect(nextProbeDelay(hc, 9000, 1000)).toBe(1000); // start_interval caps it during start_period
    expect(nextProbeDelay(hc, 9900, 100)).toBe(100); // the probe at the end of start_period is not skipped
    expect(nextProbeDelay(hc, 30_000, 2000)).toBe(2000); // after it: interval
    expect(nextProbeDelay({ ...hc, startIntervalMs: 0 }, 9000, 1000)).toBe(1000); // no start_interval: interval caps it
  });

  it("a probe that hangs until its timeout still fails within start_period + retries × (interval + timeout)", async () => {
    const clock = fakeClock();
    const runner: Runner = {
      async run(c: Command, opts): Promise<RunResult> {
        if (c.argv.includes("micropod-watch")) return { exitCode: 127, stdout: "", stderr: "" };
        if (c.argv[1] === "exec") {
          await clock.sleep(opts!.timeoutMs!); // hangs until the runner's timeout ends it
          return { exitCode: 1, stdout: "", stderr: "timed out" };
        }
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    };
    const err = (await waitHealthy(step, { runner, clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err.message).toMatch(/failed 3 times/);
    expect(clock.now()).toBeLessThanOrEqual(1000 + 3 * (2000 + 1000));
  });

  it("fails after `retries` counted failures once start_period is over, naming the check and the log tail", async () => {
    const clock = fakeClock();
    const { runner, calls } = scriptedPodman(clock, Array(50).fill(1), { running: true, exitCode: 0 });
    const err = (await waitHealthy(step, { runner, clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err).toBeInstanceOf(NotReadyError);
    expect(err.message).toMatch(/^db is not healthy after [\d.]+s: healthcheck `pg_isready` failed 3 times \(exit 1: not ready\)$/);
    expect(err.details).toEqual(["last 20 log lines of demo-db:", "line 1", "line 2"]);
    // Within its own budget: start_period + retries × (interval + timeout).
    expect(clock.now()).toBeLessThanOrEqual(1000 + 3 * (2000 + 1000));
    expect(calls.filter((l) => l.includes(" inspect"))).toEqual([]);
  });

  it("a watcher inside the container that sees the check pass ends the wait at once; the probes from outside stop", async () => {
    const clock = fakeClock();
    const { runner, calls } = scriptedPodman(clock, Array(50).fill(1), { running: true, exitCode: 0 }, 0);
    const ms = await waitHealthy(step, { runner, clock, signal: new AbortController().signal });
    // Healthy as soon as the watcher answered: no counted failure, at most the first probes from outside ran.
    expect(ms).toBeLessThan(1000);
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it("a watcher that sees the pass while the outside probes wait for their turn: no probe from outside starts at all", async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const runner: Runner = {
      async run(c: Command): Promise<RunResult> {
        if (c.argv.includes("micropod-watch")) return clock.sleep(500).then(() => ({ exitCode: 0, stdout: "micropod-check-passed\n", stderr: "" }));
        calls.push(renderCommand(c));
        return { exitCode: 1, stdout: "", stderr: "not ready" };
      },
    };
    expect(await waitHealthy(step, { runner, clock, signal: new AbortController().signal })).toBeLessThan(2000);
    expect(calls).toEqual([]);
  });

  it("while the watcher runs, only the probes that count run from outside, and failure keeps its budget", async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const runner: Runner = {
      async run(c: Command, opts): Promise<RunResult> {
        if (c.argv.includes("micropod-watch")) {
          // Runs until the wait ends it.
          return new Promise((_, reject) => opts!.signal!.addEventListener("abort", () => reject(opts!.signal!.reason), { once: true }));
        }
        calls.push(renderCommand(c));
        if (c.argv[1] === "exec") return clock.sleep(100).then(() => ({ exitCode: 1, stdout: "", stderr: "not ready" }));
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    };
    const err = (await waitHealthy(step, { runner, clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err.message).toMatch(/failed 3 times/);
    // Nothing from outside until max(start_period, interval), then one every interval: the 3 counted.
    expect(calls.filter((l) => l.startsWith("podman exec"))).toHaveLength(3);
    expect(clock.now()).toBeLessThanOrEqual(1000 + 3 * (2000 + 1000));
  });

  it("an exec that exits 0 without the probe's line is no pass (podman 4.3.1 was seen doing so for a check that cannot pass)", async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const slips = (passAfter: number): Runner => ({
      async run(c: Command, opts): Promise<RunResult> {
        if (c.argv.includes("micropod-watch")) {
          return new Promise((_, reject) => opts!.signal!.addEventListener("abort", () => reject(opts!.signal!.reason), { once: true }));
        }
        calls.push(renderCommand(c));
        if (c.argv[1] === "exec") {
          await clock.sleep(100);
          return { exitCode: 0, stdout: calls.length > passAfter ? "pong\nmicropod-check-passed\n" : "pong\n", stderr: "" };
        }
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    });
    const err = (await waitHealthy(step, { runner: slips(Infinity), clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err.message).toMatch(/^db is not healthy after [\d.]+s: healthcheck `pg_isready` failed 3 times \(exit 0: pong\)$/);
    expect(calls.filter((l) => l.startsWith("podman exec"))).toEqual([PROBE, PROBE, PROBE]);
    // The same probe with its line, after the check's own output, is a pass.
    calls.length = 0;
    expect(await waitHealthy(step, { runner: slips(1), clock: fakeClock(), signal: new AbortController().signal })).toBeGreaterThan(0);
    expect(calls).toEqual([PROBE, PROBE]);
  });

  it("a command missing inside the probe's shell is the check failing, not a missing shell: the probe keeps its line", async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const runner: Runner = {
      async run(c: Command): Promise<RunResult> {
        if (c.argv.includes("micropod-watch")) return { exitCode: 127, stdout: "", stderr: "/bin/sh: pg_isready: not found" };
        calls.push(renderCommand(c));
        if (c.argv[1] === "exec") return clock.sleep(100).then(() => ({ exitCode: 127, stdout: "", stderr: "/bin/sh: pg_isready: not found" }));
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    };
    const err = (await waitHealthy(step, { runner, clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err.message).toMatch(/failed 3 times \(exit 127: \/bin\/sh: pg_isready: not found\)$/);
    expect(new Set(calls.filter((l) => l.startsWith("podman exec")))).toEqual(new Set([PROBE]));
  });

  it("asks podman about the container only when exec itself fails, and stops at once when it has exited", async () => {
    const clock = fakeClock();
    const { runner, calls } = scriptedPodman(clock, [1, 125], { running: false, exitCode: 3 });
    const err = (await waitHealthy(step, { runner, clock, signal: new AbortController().signal }).catch((e: unknown) => e)) as NotReadyError;
    expect(err.message).toBe("db exited with code 3 before its healthcheck passed (pg_isready)");
    expect(calls).toEqual([PROBE, CHECK, CHECK, "podman container inspect demo-db", "podman logs --tail 20 demo-db"]);
  });
});
