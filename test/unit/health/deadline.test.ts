import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../../src/core/errors.js";
import { CheckDeadline, DeadlineError, StepTimeoutError } from "../../../src/health/deadline.js";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

describe("CheckDeadline", () => {
  it("stops every step under way when it passes, and names them", async () => {
    const d = new CheckDeadline(100);
    const both = Promise.allSettled([d.step("reading Redis", {}, (s) => sleep(10_000, s)), d.step("podman ps", {}, (s) => sleep(10_000, s))]);
    const [a, b] = await both;
    d.dispose();
    expect(a.status === "rejected" && a.reason).toBeInstanceOf(DeadlineError);
    expect(b.status === "rejected" && b.reason).toBe(a.status === "rejected" && a.reason);
    expect((a as PromiseRejectedResult).reason.message).toBe("health check stopped at its 0.1 s deadline while reading Redis; podman ps");
  });

  it("a step's own timeout stops that step only, with its name and bound", async () => {
    const d = new CheckDeadline(10_000);
    const err = await d.step("podman ps", { timeoutMs: 50, timeoutHint: "is podman hung?" }, (s) => sleep(10_000, s)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepTimeoutError);
    expect((err as Error).message).toBe("podman ps: no answer within 0.1 s: is podman hung?");
    expect(await d.step("next", {}, async () => "still running")).toBe("still running");
    d.dispose();
  });

  it("the caller's signal (SIGTERM) stops a step with its own reason", async () => {
    const outer = new AbortController();
    const d = new CheckDeadline(10_000, outer.signal);
    const step = d.step("reading Redis", {}, (s) => sleep(10_000, s));
    outer.abort(new InterruptedError("interrupted by SIGTERM"));
    await expect(step).rejects.toThrow("interrupted by SIGTERM");
    d.dispose();
  });

  it("extend() makes room for a restart; an unstoppable step is named but runs to its end", async () => {
    const d = new CheckDeadline(100);
    d.extend(1000);
    let finished = false;
    await d.unstoppable("restarting mastodon-sidekiq-pull", async () => {
      await sleep(200);
      finished = true;
    });
    expect(finished).toBe(true);
    expect(d.signal.aborted).toBe(false); // past the first 100 ms, within the extension
    const late = d.unstoppable("restarting mastodon-sidekiq-push", () => sleep(1500));
    await sleep(1200);
    expect(d.signal.reason).toBeInstanceOf(DeadlineError);
    expect((d.signal.reason as DeadlineError).steps).toEqual(["restarting mastodon-sidekiq-push"]);
    await late; // not stopped: it ends by its own bound
    d.dispose();
  });

  it("a result that arrives after the step was stopped is discarded (a lock taken just too late is released)", async () => {
    const d = new CheckDeadline(50);
    const released: string[] = [];
    const err = await d
      .step("waiting for the shared lock", { discard: async (lock: string) => void released.push(lock) }, () => sleep(150).then(() => "the lock"))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(released).toEqual(["the lock"]);
    d.dispose();
  });
});
