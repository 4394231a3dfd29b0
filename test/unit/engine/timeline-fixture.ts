import type { StartRecord } from "../../../src/engine/start-record.js";

/**
 * A recorded start of four services: a builds its image (0.5–3 s), then a → b → c, each waiting
 * on the one before (b on a healthy, c on b completed and a healthy); side, whose image was
 * cached, waits on nothing and is ready at 2 s. The chain a build → a → b → c decided the 9.2 s.
 */
export const chainRecord: StartRecord = {
  version: 1,
  at: "2026-12-02T10:00:00.000Z",
  outcome: "ready",
  elapsedMs: 9200,
  services: [
    { service: "a", build: { queuedMs: 400, buildingMs: 500, endMs: 3000, after: [] }, start: { queuedMs: 400, waitingMs: 3100, waitedOn: [], startingMs: 3200, runningMs: 3500, readyMs: 5000, build: "a" } },
    { service: "side", build: { queuedMs: 400, endMs: 410, cached: true, after: [] }, start: { queuedMs: 400, waitedOn: [], startingMs: 1000, runningMs: 1300, readyMs: 2000, build: "side" } },
    {
      service: "b",
      start: { queuedMs: 400, waitingMs: 3100, waitedOn: [{ service: "a", condition: "service_healthy" }], startingMs: 5100, runningMs: 5400, readyMs: 8000, build: "a" },
    },
    {
      service: "c",
      start: {
        queuedMs: 400,
        waitingMs: 3200,
        waitedOn: [
          { service: "b", condition: "service_completed_successfully" },
          { service: "a", condition: "service_healthy" },
        ],
        startingMs: 8100,
        runningMs: 8400,
        readyMs: 9000,
        build: "a",
      },
    },
  ],
};
