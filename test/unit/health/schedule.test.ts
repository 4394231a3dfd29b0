import { describe, expect, it } from "vitest";
import { parseEvery, scheduleChecks } from "../../../src/health/schedule.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("scheduleChecks (health watch)", () => {
  it("never runs two checks at once on a schedule shorter than a check, and stop() waits for the one under way", async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    let ended = 0;
    // Ticks every second; each check takes 2.5 s.
    const watch = scheduleChecks(parseEvery("1s"), async () => {
      started++;
      most = Math.max(most, ++running);
      await sleep(2500);
      running--;
      ended++;
    });
    await sleep(4200);
    await watch.stop();
    expect(most).toBe(1);
    expect(started).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThanOrEqual(2);
    expect(ended).toBe(started); // stop() returned only once the check under way had ended
    const after = started;
    await sleep(1500);
    expect(started).toBe(after); // and nothing is scheduled any more
  });
});
