import { describe, expect, it } from "vitest";
import { DEFAULT_PODMAN_SOCKET, PODMAN_SOCKET_VARIABLE, podmanSocket } from "../../../src/podman/api-socket.js";

describe("podmanSocket: which socket to try", () => {
  it("the variable when set, unix:// or a bare path, for any user; empty turns the API off", () => {
    expect(podmanSocket({ [PODMAN_SOCKET_VARIABLE]: "unix:///tmp/p.sock" }, 1001)).toEqual({ path: "/tmp/p.sock" });
    expect(podmanSocket({ [PODMAN_SOCKET_VARIABLE]: "/tmp/p.sock", CONTAINERS_CONF: "/x" }, 0)).toEqual({ path: "/tmp/p.sock" });
    expect(podmanSocket({ [PODMAN_SOCKET_VARIABLE]: "" }, 0)).toEqual({ why: "MICROPOD_PODMAN_SOCKET is empty" });
  });

  it("else the podman_service socket, for root with podman's default configuration only", () => {
    expect(DEFAULT_PODMAN_SOCKET).toBe("/var/run/podman/podman.sock");
    expect(podmanSocket({}, 0)).toEqual({ path: "/var/run/podman/podman.sock" });
    expect(podmanSocket({}, 1001)).toEqual({ why: "not root: /var/run/podman/podman.sock is root's podman (set MICROPOD_PODMAN_SOCKET to use a socket)" });
    expect(podmanSocket({ CONTAINERS_STORAGE_CONF: "/s", CONTAINER_HOST: "ssh://h" }, 0)).toEqual({
      why: "CONTAINERS_STORAGE_CONF, CONTAINER_HOST set: the CLI's podman may not be /var/run/podman/podman.sock's (set MICROPOD_PODMAN_SOCKET to use it anyway)",
    });
  });
});
