import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readContainerInspect, readContainerList, readImageInspect, readImageList, readNames, readSecretInspect, readWaitExitCode } from "../../../src/podman/readers.js";

// Captured from podman 4.3.1 (Debian) in a sandbox: a built image, an exited container, a secret.
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("podman JSON readers", () => {
  it("reads podman ps --format json", () => {
    expect(readContainerList(fixture("ps-4.3.1.json"))).toEqual([
      {
        id: "10bc92d6e571acb1b9afd7b15e6ae7e4c97a5b370b1c609fb24664f3fc0ada49",
        name: "c2",
        image: "localhost/t/img:latest",
        imageId: "7225e53189d2c879843c3198f3be0ac70dd6a38c2242c149e52fa4070c062c38",
        state: "exited",
        exitCode: 3,
        labels: { "io.buildah.version": "1.28.2", "micropod.config-hash": "h1", "micropod.input-hash": "abc", x: "y" },
        startedAt: 1795291895,
      },
    ]);
    expect(readContainerList("[]\n")).toEqual([]);
    expect(readContainerList("null")).toEqual([]);
  });

  it("reads podman container inspect", () => {
    expect(readContainerInspect(fixture("container-inspect-4.3.1.json"))).toEqual([
      {
        id: "10bc92d6e571acb1b9afd7b15e6ae7e4c97a5b370b1c609fb24664f3fc0ada49",
        name: "c2",
        image: "localhost/t/img:latest",
        imageId: "7225e53189d2c879843c3198f3be0ac70dd6a38c2242c149e52fa4070c062c38",
        state: "exited",
        running: false,
        exitCode: 3,
        startedAt: "2026-11-21T20:11:35.610938472Z",
        finishedAt: "2026-11-21T20:11:35.611211895Z",
        restartCount: 0,
        labels: { "io.buildah.version": "1.28.2", "micropod.config-hash": "h1", "micropod.input-hash": "abc", x: "y" },
        annotations: { "io.container.manager": "libpod", "io.kubernetes.cri-o.Created": expect.any(String), "io.kubernetes.cri-o.TTY": "false", "io.podman.annotations.autoremove": "FALSE", "io.podman.annotations.init": "FALSE", "io.podman.annotations.privileged": "FALSE", "io.podman.annotations.publish-all": "FALSE", "org.opencontainers.image.base.digest": "sha256:6fcfd1358285b6b7c709a966b86c1981ce78d2a3058da13090a9e87a3753cce9", "org.opencontainers.image.base.name": "localhost/bb:t", "org.opencontainers.image.stopSignal": "15" },
        stopTimeoutSec: 3,
        ociRuntime: "runc",
      },
    ]);
  });

  it("reads podman image inspect and secret inspect", () => {
    expect(readImageInspect(fixture("image-inspect-4.3.1.json"))).toEqual([
      {
        id: "7225e53189d2c879843c3198f3be0ac70dd6a38c2242c149e52fa4070c062c38",
        tags: ["localhost/t/img:latest"],
        labels: { "io.buildah.version": "1.28.2", "micropod.input-hash": "abc", x: "y" },
        created: expect.stringMatching(/^2026-11-21T20:11:/),
      },
    ]);
    expect(readSecretInspect(fixture("secret-inspect-4.3.1.json"))).toEqual([{ id: "e21ec0ca3b40a16b55f52d416", name: "s2", labels: {} }]);
  });

  it("reads exit codes and name lists; rejects what it cannot read", () => {
    expect(readWaitExitCode("3")).toBe(3);
    expect(readWaitExitCode("0\n")).toBe(0);
    expect(() => readWaitExitCode("Error: no such container")).toThrow(/not an exit code/);
    expect(readNames("a\n b\n\n")).toEqual(["a", "b"]);
    expect(() => readContainerList("{not json")).toThrow(/cannot read podman ps output as JSON/);
    expect(() => readContainerList('{"a":1}')).toThrow(/not a JSON array/);
  });
});

describe("podman images reader", () => {
  it("reads names, labels and ids of podman images --format json", () => {
    expect(readImageList(fixture("images-4.3.1.json"))).toEqual([
      { id: "eb202a8850232fdf286a5d00bec0391182930b427bca0670477e996dc341430f", names: ["localhost/bb:t"], labels: { a: "b" } },
    ]);
  });
});
