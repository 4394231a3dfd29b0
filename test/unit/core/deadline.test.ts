import { describe, expect, it } from "vitest";
import { withDeadline } from "../../../src/core/deadline.js";
import { InterruptedError } from "../../../src/core/errors.js";

const never = () => new Promise<never>(() => undefined);

describe("withDeadline", () => {
  it("settles with the work when it is in time", async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, "work")).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error("boom")), 1_000, "work")).rejects.toThrow("boom");
  });

  it("gives up at the deadline, naming the work", async () => {
    await expect(withDeadline(never(), 20, "the ACME order at https://acme.example/dir")).rejects.toThrow("the ACME order at https://acme.example/dir did not finish within 0 s");
  });

  it("gives up when the signal aborts, with the signal's reason", async () => {
    const abort = new AbortController();
    const p = withDeadline(never(), 60_000, "work", abort.signal);
    abort.abort(new InterruptedError("interrupted by SIGINT"));
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    const already = new AbortController();
    already.abort(new InterruptedError());
    await expect(withDeadline(never(), 60_000, "work", already.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});
