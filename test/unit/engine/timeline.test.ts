import { describe, expect, it } from "vitest";
import { renderTimeline } from "../../../src/commands/timeline-text.js";
import { type StartRecord, recordedCriticalPath } from "../../../src/engine/start-record.js";
import { chainRecord } from "./timeline-fixture.js";

describe("status --timeline: the chart", () => {
  it("draws one bar per service on a shared axis, the critical path marked (60 columns)", () => {
    const text = renderTimeline(chainRecord, 60);
    expect(text).toBe(
      [
        "last start 2026-12-02T10:00:00.000Z: ready after 9.2s",
        "critical path: a build → a → b → c",
        "",
        "* a          ============.#########                     5.0s",
        "  side         ######                                   2.0s",
        "* b                      ..........###############      8.0s",
        "* c                       .......................###### 9.0s",
        "           +--------+---------+--------+---------+-----",
        "           0s       2s        4s       6s        8s",
        "",
        "= build  . waiting  # start until ready  X failed",
        "* critical path",
      ].join("\n"),
    );
    // The heading says what it must; everything under it fits the width.
    for (const line of text.split("\n").slice(1)) expect(line.length, line).toBeLessThanOrEqual(60);
  });

  it("a failed start: the failing service ends in X, those that never started say so", () => {
    const failed: StartRecord = {
      version: 1,
      at: "2026-12-02T10:00:00.000Z",
      outcome: "failed",
      elapsedMs: 4000,
      error: "db is not healthy after 3.0s",
      services: [
        { service: "db", start: { queuedMs: 0, waitedOn: [], startingMs: 0, runningMs: 500, failedMs: 4000, failed: "db is not healthy after 3.0s" } },
        { service: "web", start: { queuedMs: 0, waitingMs: 200, waitedOn: [{ service: "db", condition: "service_healthy" }], failedMs: 4000, failed: "not started: db failed" } },
      ],
    };
    expect(renderTimeline(failed, 50)).toBe(
      [
        "last start 2026-12-02T10:00:00.000Z: failed after 4.0s: db is not healthy after 3.0s",
        "critical path: db",
        "",
        "* db       ##########################X failed 4.0s",
        "  web       .........................X not started",
        "           +-----+------+------+-----+",
        "           0s    1s     2s     3s    4s",
        "",
        "= build  . waiting  # start until ready  X failed",
        "* critical path",
      ].join("\n"),
    );
  });
});

describe("the recorded critical path", () => {
  const start = (over: Partial<NonNullable<StartRecord["services"][number]["start"]>>) => ({ queuedMs: 0, waitedOn: [], ...over });
  const record = (services: StartRecord["services"]) => ({ services });

  it("walks back from the service ready last through what it waited on last", () => {
    expect(recordedCriticalPath(chainRecord)).toEqual([
      { service: "a", step: "build" },
      { service: "a", step: "start" },
      { service: "b", step: "start" },
      { service: "c", step: "start" },
    ]);
  });

  it("a service_started dependency counts when its podman start returned, not when it became ready", () => {
    // web waited on cache started (at 1 s; ready only at 9 s) and on db healthy (at 5 s): db decided.
    const r = record([
      { service: "cache", start: start({ startingMs: 500, runningMs: 1000, readyMs: 9000 }) },
      { service: "db", start: start({ startingMs: 500, runningMs: 800, readyMs: 5000 }) },
      {
        service: "web",
        start: start({ waitedOn: [{ service: "cache", condition: "service_started" }, { service: "db", condition: "service_healthy" }], startingMs: 5100, runningMs: 5300, readyMs: 9500 }),
      },
    ]);
    expect(recordedCriticalPath(r).map((s) => s.service)).toEqual(["db", "web"]);
  });

  it("goes through the image's build when that ended last, then through the base build it was FROM", () => {
    const r = record([
      { service: "base", build: { queuedMs: 0, buildingMs: 0, endMs: 2000, after: [] } },
      { service: "app", build: { queuedMs: 0, buildingMs: 2000, endMs: 7000, after: ["base"] } },
      { service: "db", start: start({ startingMs: 100, runningMs: 200, readyMs: 3000 }) },
      { service: "worker", start: start({ waitedOn: [{ service: "db", condition: "service_healthy" }], startingMs: 7100, runningMs: 7300, readyMs: 7400, build: "app" }) },
    ]);
    expect(recordedCriticalPath(r)).toEqual([
      { service: "base", step: "build" },
      { service: "app", step: "build" },
      { service: "worker", step: "start" },
    ]);
  });

  it("a cached build took no time and is never on the path; a failed service ends it like a ready one", () => {
    const r = record([
      { service: "db", build: { queuedMs: 0, endMs: 10, cached: true, after: [] }, start: start({ startingMs: 100, runningMs: 300, failedMs: 6000, build: "db" }) },
      { service: "side", start: start({ startingMs: 100, runningMs: 300, readyMs: 1000 }) },
    ]);
    expect(recordedCriticalPath(r)).toEqual([{ service: "db", step: "start" }]);
    // web, never started because db failed, ended later but decided nothing.
    const withDependent = record([...r.services, { service: "web", start: start({ waitedOn: [{ service: "db", condition: "service_healthy" }], failedMs: 6010 }) }]);
    expect(recordedCriticalPath(withDependent)).toEqual([{ service: "db", step: "start" }]);
  });

  it("when no container ended, the build that ended last; when nothing ended, no path", () => {
    const building = record([
      { service: "base", build: { queuedMs: 0, buildingMs: 0, endMs: 2000, after: [] } },
      { service: "app", build: { queuedMs: 0, buildingMs: 2000, after: ["base"] } },
      { service: "web", start: start({ build: "app" }) },
    ]);
    expect(recordedCriticalPath(building)).toEqual([{ service: "base", step: "build" }]);
    expect(recordedCriticalPath(record([{ service: "web", start: start({}) }]))).toEqual([]);
  });
});
