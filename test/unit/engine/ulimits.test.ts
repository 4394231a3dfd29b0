import { describe, expect, it } from "vitest";
import { renderCommand } from "../../../src/core/command.js";
import { type ObservedState, emptyObservedState } from "../../../src/engine/observe.js";
import { type ContainerStep, planStart } from "../../../src/engine/plan.js";
import { service, suite } from "../../support/make-suite.js";

const image = "docker.io/library/busybox:1.36";
const withLimits = (memlock: number) =>
  suite([service("search", { image, ulimits: { memlock: { soft: memlock, hard: memlock }, nofile: { soft: 65536, hard: 65536 } } })]);
/** The per-input fingerprints the step's podman create labels the container with. */
const parts = (c: ContainerStep) => c.commands[0]!.argv.find((a) => a.startsWith("micropod.config-parts="))!.slice("micropod.config-parts=".length);
const images = { [image]: { id: "id-busybox", names: [image], labels: {} } };

describe("ulimits in the start plan", () => {
  it("podman create carries them, and a changed limit recreates the container", () => {
    const first = planStart(withLimits(-1), { vars: {} }, { ...emptyObservedState(), images });
    expect(renderCommand(first.containers[0]!.commands[0]!)).toBe(
      `podman create --name demo-search --label com.docker.compose.container-number=1 --label com.docker.compose.oneoff=False ` +
        `--label com.docker.compose.project=demo --label com.docker.compose.project.config_files=/suite/compose.yaml ` +
        `--label com.docker.compose.project.working_dir=/suite --label com.docker.compose.service=search ` +
        `--label io.podman.compose.project=demo --label io.podman.compose.version=micropod ` +
        `--label micropod.config-hash=${first.containers[0]!.configHash} --label micropod.config-parts=${parts(first.containers[0]!)} --ulimit memlock=-1:-1 --ulimit nofile=65536:65536 ${image}`,
    );
    const running: ObservedState = {
      ...emptyObservedState(),
      images,
      containers: {
        "demo-search": {
          id: "c1",
          name: "demo-search",
          image,
          imageId: "id-busybox",
          state: "running",
          exitCode: 0,
          labels: { "micropod.config-hash": first.containers[0]!.configHash, "micropod.config-parts": parts(first.containers[0]!) },
        },
      },
    };
    expect(planStart(withLimits(-1), { vars: {} }, running).containers.map((c) => [c.action, c.reason])).toEqual([["leave", "running, unchanged"]]);
    const changed = planStart(withLimits(65536), { vars: {} }, running);
    expect(changed.containers.map((c) => [c.action, c.reason])).toEqual([["recreate", "definition changed: ulimits"]]);
    expect(changed.containers[0]!.configHash).not.toBe(first.containers[0]!.configHash);
  });
});
