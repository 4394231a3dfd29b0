import { describe, expect, it } from "vitest";
import { type Command, command } from "../../../src/core/command.js";
import { type PodmanApiCall, podmanApiCall } from "../../../src/podman/api-calls.js";
import { StreamDemultiplexer } from "../../../src/podman/api-client.js";
import { onConnection } from "../../../src/podman/connection.js";
import {
  execInContainer,
  execInteractive,
  inspectContainer,
  listContainers,
  restartContainer,
  startContainer,
  stopContainer,
  stopContainers,
} from "../../../src/podman/container.js";
import { listImages, podmanVersion } from "../../../src/podman/image.js";
import { listNetworks } from "../../../src/podman/network.js";
import { inspectSecrets, listSecrets, secretExists } from "../../../src/podman/secret.js";

/** The command an API call stands for, rebuilt by the builders: the recogniser's round trip. */
function commandForApiCall(call: PodmanApiCall): Command {
  switch (call.kind) {
    case "start":
      return startContainer(call.name);
    case "stop":
      return stopContainers(call.names, call.timeoutSec);
    case "list":
      return listContainers(call.labels);
    case "inspect":
      return inspectContainer(...call.names);
    case "exec":
      return execInContainer(call.name, call.argv, { env: call.env, ...(call.user !== undefined ? { user: call.user } : {}) });
    case "inspect-secrets":
      return inspectSecrets(...call.names);
    case "version":
      return podmanVersion();
    case "images":
      return listImages();
    case "networks":
      return listNetworks();
    case "secrets":
      return listSecrets();
  }
}

describe("podmanApiCall: the builders' hot-path commands, recognised exactly", () => {
  // Each builder's command → the call → the same argv again through the builders. A builder that
  // changes shape breaks one of these (the recogniser no longer knows it, or reads it wrongly).
  const cases = [
    [startContainer("web"), { kind: "start", name: "web" }],
    [stopContainer("web"), { kind: "stop", names: ["web"] }],
    [stopContainers(["a", "b", "c"], 7), { kind: "stop", names: ["a", "b", "c"], timeoutSec: 7 }],
    [listContainers(), { kind: "list", labels: {} }],
    [listContainers({ "com.docker.compose.project": "p", "io.micropod.x": "a=b" }), { kind: "list", labels: { "com.docker.compose.project": "p", "io.micropod.x": "a=b" } }],
    [inspectContainer("a", "b"), { kind: "inspect", names: ["a", "b"] }],
    [execInContainer("db", ["/bin/sh", "-c", "exit 3", "--env"]), { kind: "exec", name: "db", argv: ["/bin/sh", "-c", "exit 3", "--env"], env: {} }],
    [execInContainer("db", ["pg_isready"], { env: { B: "2", A: "x=1" }, user: "postgres" }), { kind: "exec", name: "db", argv: ["pg_isready"], env: { A: "x=1", B: "2" }, user: "postgres" }],
    [podmanVersion(), { kind: "version" }],
    [listImages(), { kind: "images" }],
    [listNetworks(), { kind: "networks" }],
    [listSecrets(), { kind: "secrets" }],
    [inspectSecrets("a", "b"), { kind: "inspect-secrets", names: ["a", "b"] }],
  ] as const;
  for (const [c, call] of cases) {
    it(c.argv.join(" "), () => {
      expect(podmanApiCall(c)).toEqual(call);
      expect(commandForApiCall(podmanApiCall(c)!).argv).toEqual(c.argv);
    });
  }

  it("leaves to the CLI what the API runner does not do: another host, stdin, a terminal, secrets in env, other verbs", () => {
    const cli = [
      onConnection(startContainer("web"), "unix:///run/other.sock"),
      execInContainer("db", ["psql"], { input: "select 1" }),
      execInteractive("web", ["sh"], { tty: true }),
      execInteractive("web", ["sh"]),
      { ...execInContainer("db", ["env"]), env: { PGPASSWORD: "x" }, secret: { env: ["PGPASSWORD"] } },
      restartContainer("web", 3),
      command(["podman", "ps", "--all", "--format", "json", "--filter", "label=a=b"]),
      command(["podman", "ps", "--format", "json"]),
      command(["podman", "stop", "--time", "soon", "web"]),
      command(["podman", "stop", "--ignore", "web"]),
      command(["podman", "start", "--attach", "web"]),
      command(["podman", "start", "web", "worker"]),
      command(["podman", "container", "inspect", "--format", "{{.State}}", "web"]),
      command(["podman", "exec", "web"]),
      command(["podman", "exec", "--workdir", "/tmp", "web", "ls"]),
      command(["sudo", "podman", "start", "web"]),
      secretExists("db_pass"),
      command(["podman", "images", "--format", "json", "--all"]),
      command(["podman", "network", "ls"]),
      command(["podman", "version"]),
    ];
    for (const c of cli) expect(podmanApiCall(c), c.argv.join(" ")).toBeUndefined();
  });
});

describe("StreamDemultiplexer", () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };

  it("splits stdout from stderr, frames cut anywhere across chunks", () => {
    const all = Buffer.concat([frame(1, "out 1\n"), frame(2, "err\n"), frame(1, "out 2\n"), frame(1, "")]);
    for (const cut of [1, 3, 8, 9, 15, all.length - 1]) {
      const d = new StreamDemultiplexer();
      d.push(all.subarray(0, cut));
      d.push(all.subarray(cut));
      expect([d.text("stdout"), d.text("stderr")], `cut at ${cut}`).toEqual(["out 1\nout 2\n", "err\n"]);
    }
  });
});
