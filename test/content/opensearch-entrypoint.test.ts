import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";

/**
 * The opensearch entrypoint, run for real in a container on this machine's own userland (podman
 * `--rootfs /:O`: what it writes lands in a throwaway overlay), with FreeBSD's mount(8) and
 * limits(1) faked (test/content/fakes, each refusing what the real one refuses). ocijail ignores
 * the OCI spec's process.rlimits, so compose's `ulimits` do nothing on FreeBSD: the entrypoint
 * sets memorylocked and openfiles itself, with limits(1), as root, before it switches to the
 * opensearch user. (This machine cannot raise a hard limit at all, so the fake limits(1) records
 * what it was asked to set instead of setting it.)
 */
const repo = resolve(import.meta.dirname, "../..");
let sandbox: PodmanSandbox;
let out: string;

beforeAll(() => {
  sandbox = createPodmanSandbox();
  out = mkdtempSync(join(tmpdir(), "micropod-opensearch-"));
  mkdirSync(join(out, "data"));
  // What the command writes as the opensearch user.
  mkdirSync(join(out, "cmd"));
  chmodSync(out, 0o755);
  chmodSync(join(out, "cmd"), 0o777);
});

afterAll(() => {
  sandbox?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("containerfiles/opensearch/entrypoint.sh", () => {
  it("mounts fdescfs and procfs, renders opensearch.yml, and runs the command under limits -l unlimited -n 65536 as root, then as opensearch", () => {
    const setup = "useradd --system --no-create-home --home-dir /nonexistent opensearch && mkdir -p /usr/local/etc/opensearch";
    const command = "id -un >/out/cmd/user; cp /usr/local/etc/opensearch/opensearch.yml /out/cmd/opensearch.yml";
    sandbox.podman([
      "run", "--rm", "--network", "none",
      "--volume", `${join(repo, "containerfiles")}:/src:ro`,
      "--volume", `${join(repo, "test/content/fakes")}:/fakes:ro`,
      "--volume", `${out}:/out`,
      "--env", "PATH=/fakes:/usr/sbin:/usr/bin:/sbin:/bin",
      "--env", "MICROPOD_LIBEXEC=/src/base",
      "--env", "MICROPOD_TEMPLATES=/src/opensearch",
      "--env", "OPENSEARCH_DATA_DIR=/out/data",
      "--env", "FAKE_LIMITS_LOG=/out/limits.log",
      "--env", "FAKE_MOUNTS=/out/mounts",
      "--rootfs", "/:O",
      "sh", "-c", `${setup} && exec sh /src/opensearch/entrypoint.sh sh -c '${command}'`,
    ]);
    const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : "");
    expect(read("limits.log")).toBe(
      `uid=0 memorylocked=unlimited:unlimited openfiles=65536:65536 -- setpriv --reuid=opensearch --regid=opensearch --init-groups -- sh -c ${command}\n`,
    );
    expect(read("cmd/user")).toBe("opensearch\n");
    expect(read("mounts")).toBe("fdescfs\t/dev/fd\tfdescfs\trw\t0 0\nprocfs\t/proc\tprocfs\trw\t0 0\n");
    expect(read("cmd/opensearch.yml")).toContain("path.data: /out/data\npath.logs: /var/log/opensearch\nnetwork.host: 0.0.0.0\nhttp.port: 9200\n");
  });
});
