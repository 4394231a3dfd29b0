import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runner } from "../../../src/core/runner.js";
import { PodmanApiRunner } from "../../../src/podman/api-runner.js";
import { podmanVersion } from "../../../src/podman/image.js";
import { listNetworks } from "../../../src/podman/network.js";
import { listSecrets } from "../../../src/podman/secret.js";
import { tempDir } from "../../support/temp.js";

/**
 * The API runner against a socket that answers 200 with what podman never sends: an answer of
 * the wrong shape is podman failing (125), never an empty list, which would make a start create
 * networks or secrets that exist. Real podman's answers: test/podman/api-runner.test.ts.
 */
const answers: Record<string, { headers?: Record<string, string>; body: string }> = {
  "/v4.0.0/libpod/networks/json": { body: '{"message":"not a list"}' },
  "/v4.0.0/libpod/secrets/json": { body: '[{"Spec":{"Name":"a"}},{"Spec":{}}]' },
  "/v4.0.0/libpod/_ping": { body: "OK" },
};
let server: Server;
let socket: string;

beforeAll(async () => {
  socket = join(tempDir("micropod-api-answers-"), "podman.sock");
  server = createServer((req, res) => {
    const a = answers[req.url ?? ""];
    res.writeHead(a ? 200 : 404, a?.headers ?? {});
    res.end(a?.body ?? "");
  });
  await new Promise<void>((res) => server.listen(socket, res));
});

afterAll(() => new Promise<void>((res) => server.close(() => res())));

const noCli: Runner = {
  run: () => Promise.reject(new Error("the CLI must not run: the socket answered")),
};

describe("PodmanApiRunner: answers of the wrong shape", () => {
  it("a name list that is not a list of named entries fails as podman does, naming the route", async () => {
    const runner = new PodmanApiRunner(noCli, socket);
    for (const [c, route] of [
      [listNetworks(), "/networks/json"],
      [listSecrets(), "/secrets/json"],
    ] as const) {
      expect(await runner.run(c, { allowFailure: true })).toEqual({ exitCode: 125, stdout: "", stderr: `Error: podman's ${route} answer is not a list of named entries\n` });
    }
  });

  it("a ping without Libpod-API-Version gives no version", async () => {
    const r = await new PodmanApiRunner(noCli, socket).run(podmanVersion(), { allowFailure: true });
    expect(r).toEqual({ exitCode: 125, stdout: "", stderr: "Error: podman's ping answer has no Libpod-API-Version header\n" });
  });
});
