import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/core/errors.js";
import { Redactor } from "../../../src/core/redact.js";
import type { ProgressEvent } from "../../../src/engine/progress.js";
import { tempDir } from "../../support/temp.js";
import { NoStartRecordError, StartRecorder, lastStartFile, readStartRecord, writeStartRecord } from "../../../src/engine/start-record.js";

/** A clock that moves only when the script says so. */
function scriptClock() {
  let t = 1_764_669_600_000; // 2025-12-02T10:00:00Z
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("StartRecorder", () => {
  it("turns a scripted start's progress events into the record, passing each event on", () => {
    const clock = scriptClock();
    const seen: ProgressEvent[] = [];
    const rec = new StartRecorder(clock, (e) => seen.push(e));
    const script: Array<[number, ProgressEvent]> = [
      [300, { service: "db", step: "build", state: { kind: "queued" } }],
      [0, { service: "db", step: "start", state: { kind: "queued" } }],
      [0, { service: "web", step: "start", state: { kind: "queued" } }],
      [100, { service: "db", step: "build", state: { kind: "building", logFile: "/log/build-db.log" } }],
      [2000, { service: "db", step: "build", state: { kind: "built", ms: 2000 } }],
      [200, { service: "web", step: "start", state: { kind: "waiting", on: [{ service: "db", condition: "service_healthy" }] } }],
      [100, { service: "db", step: "start", state: { kind: "starting" } }],
      [400, { service: "db", step: "start", state: { kind: "probing", attempt: 1 } }],
      [300, { service: "db", step: "start", state: { kind: "probing", attempt: 2 } }],
      [300, { service: "db", step: "start", state: { kind: "ready", ms: 1000 } }],
      [100, { service: "web", step: "start", state: { kind: "starting" } }],
      [500, { service: "web", step: "start", state: { kind: "failed", reason: "web exited 1: password hunter2secret refused" } }],
      [0, { service: "db", step: "stop", state: { kind: "stopping" } }],
    ];
    for (const [ms, e] of script) {
      clock.advance(ms);
      rec.observer(e);
    }
    clock.advance(50);
    const plan = { builds: [{ service: "db", after: [] }], containers: [{ service: "db", build: "db" }, { service: "web", build: "db" }] };
    const record = rec.record(plan, "failed", new Error("web exited 1: password hunter2secret refused\nlast lines..."), new Redactor().add("hunter2secret"));
    expect(seen).toEqual(script.map(([, e]) => e));
    expect(record).toEqual({
      version: 1,
      at: "2025-12-02T10:00:00.000Z",
      outcome: "failed",
      elapsedMs: 4350,
      error: "web exited 1: password ******** refused",
      services: [
        {
          service: "db",
          build: { queuedMs: 300, buildingMs: 400, endMs: 2400, after: [] },
          start: { queuedMs: 300, waitedOn: [], startingMs: 2700, runningMs: 3100, readyMs: 3700, build: "db" },
        },
        {
          service: "web",
          start: { queuedMs: 300, waitingMs: 2600, waitedOn: [{ service: "db", condition: "service_healthy" }], startingMs: 3800, failedMs: 4300, failed: "web exited 1: password ******** refused", build: "db" },
        },
      ],
    });
  });

  it("a cached build ends at once; a container left alone is running when its readiness is known", () => {
    const clock = scriptClock();
    const rec = new StartRecorder(clock);
    for (const [ms, e] of [
      [100, { service: "db", step: "build", state: { kind: "cached" } }],
      [100, { service: "db", step: "start", state: { kind: "starting" } }],
      [20, { service: "db", step: "start", state: { kind: "ready", ms: 20 } }],
    ] as Array<[number, ProgressEvent]>) {
      clock.advance(ms);
      rec.observer(e);
    }
    expect(rec.record({ builds: [], containers: [] }, "ready", undefined).services).toEqual([
      { service: "db", build: { queuedMs: 100, endMs: 100, cached: true, after: [] }, start: { queuedMs: 200, waitedOn: [], startingMs: 200, runningMs: 220, readyMs: 220 } },
    ]);
  });
});

describe("last-start.json", () => {
  it("is written atomically and read back; a missing or foreign record is NoStartRecordError (exit 13) naming the file", async () => {
    const dir = tempDir("micropod-start-record-");
    const state = join(dir, "state");
    const missing = await readStartRecord(state).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoStartRecordError);
    expect((missing as NoStartRecordError).exitCode).toBe(ExitCode.noRecord);
    expect(ExitCode.noRecord).toBe(13);
    expect((missing as Error).message).toBe(`no start recorded yet: ${join(state, "last-start.json")} does not exist`);
    expect((missing as NoStartRecordError).next).toBe("run `micropod start`; it records each start there");

    const record = { version: 1 as const, at: "2025-12-02T10:00:00.000Z", outcome: "interrupted" as const, elapsedMs: 10, services: [] };
    await writeStartRecord(state, record);
    expect(statSync(lastStartFile(state)).mode & 0o777).toBe(0o644);
    expect(await readStartRecord(state)).toEqual(record);

    await writeStartRecord(state, { ...record, version: 2 } as unknown as typeof record);
    await expect(readStartRecord(state)).rejects.toThrow(`${lastStartFile(state)} is a start record of version 2; this micropod reads version 1`);
    expect(readFileSync(lastStartFile(state), "utf8")).toContain('"version": 2');
  });
});
