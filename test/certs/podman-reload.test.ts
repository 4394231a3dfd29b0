import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PodmanProxy } from "../../src/certs/proxy.js";
import { writeCertificate } from "../../src/certs/install.js";
import { readCertificateInfo } from "../../src/certs/pem.js";
import { SandboxRunner, service, suiteOf } from "../ops/support.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";
import { waitUntil } from "./acme-lab.js";

/**
 * PodmanProxy on real podman: a container laid out like the haproxy image (entrypoint and
 * micropod-configure at the image's paths, the certificate directory mounted read-only) running
 * Debian's haproxy on the host's userland, in a network namespace of its own. A new certificate
 * is picked up by `podman exec` of the configure script and `haproxy -c`, then `podman kill` with
 * SIGUSR2 to the master: the same container keeps running and serves the new certificate.
 */
const repo = resolve(import.meta.dirname, "../..");
let sandbox: PodmanSandbox;
let root: string;
let certDir: string;
const container = "mastodon-haproxy";

function selfSigned(name: string): string {
  const d = join(root, `openssl-${Math.random().toString(16).slice(2)}`);
  mkdirSync(d);
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-days", "30", "-keyout", join(d, "k.pem"), "-out", join(d, "c.pem")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(d, "c.pem"), "utf8") + readFileSync(join(d, "k.pem"), "utf8");
}

/** The serial haproxy presents on its 443 inside the container's own network namespace. */
function servedSerial(): string {
  try {
    return sandbox.podman(["exec", container, "sh", "-c", "openssl s_client -connect 127.0.0.1:443 -servername example.org </dev/null 2>/dev/null | openssl x509 -noout -serial"]).trim().replace(/^serial=/, "");
  } catch {
    return "";
  }
}

const inspect = (format: string) => sandbox.podman(["inspect", "--format", format, container]).trim();

beforeAll(() => {
  requireTool("haproxy", "haproxy");
  requireTool("openssl", "openssl");
  sandbox = createPodmanSandbox();
  root = tempDir("micropod-certs-podman-");
  chmodSync(root, 0o755);
  certDir = join(root, "certs");
  mkdirSync(certDir, { mode: 0o700 });
  // The image's /usr/local/libexec/micropod: its entrypoint, and micropod-configure running the
  // repository's configure script with the repository's lib.sh and template.
  const libexec = join(root, "libexec");
  mkdirSync(libexec);
  writeFileSync(join(libexec, "entrypoint"), readFileSync(join(repo, "containerfiles/haproxy/entrypoint.sh")), { mode: 0o755 });
  writeFileSync(join(libexec, "micropod-configure"), `#!/bin/sh\nexec sh ${join(repo, "containerfiles/haproxy/configure.sh")} "$@"\n`, { mode: 0o755 });
  sandbox.podman([
    "run", "--detach", "--name", container, "--network", "none",
    // maxconn 4096 needs about 8200 descriptors; the sandbox's default is 4096.
    "--ulimit", "nofile=10000:10000", "--ulimit", "nproc=4096:4096",
    "--env", "DOMAIN=example.org", "--env", "IP4_ADDRESS=192.0.2.10",
    "--env", "HAPROXY_USER=www-data", "--env", "HAPROXY_GROUP=www-data",
    "--env", `MICROPOD_LIBEXEC=${join(repo, "containerfiles/base")}`, "--env", `MICROPOD_TEMPLATES=${join(repo, "containerfiles/haproxy")}`,
    "--volume", `${libexec}:/usr/local/libexec/micropod:ro`,
    "--volume", `${certDir}:/usr/local/etc/haproxy/certs:ro`,
    "--rootfs", "/:O",
    "/usr/local/libexec/micropod/entrypoint", "haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg",
  ]);
}, 120_000);

describe("reloading the haproxy container with a new certificate", () => {
  it("re-renders with TLS, passes haproxy -c inside, and the master reloads on SIGUSR2 without a restart", async () => {
    await waitUntil("haproxy in its container", async () => inspect("{{.State.Running}}") === "true" && sandbox.podman(["exec", container, "cat", "/usr/local/etc/haproxy/haproxy.cfg"]).includes("frontend public"));
    expect(sandbox.podman(["exec", container, "cat", "/usr/local/etc/haproxy/haproxy.cfg"])).not.toContain(":443");
    const pid = inspect("{{.State.Pid}}");
    const started = inspect("{{.State.StartedAt}}");
    const runner = new SandboxRunner(sandbox.env);
    const proxy = new PodmanProxy(runner, suiteOf(join(repo, "containerfiles/compose.yaml"), [service("haproxy")]), { service: "haproxy", container });
    const paths = { certFile: join(certDir, "example.org.pem"), previousFile: join(root, "private", "example.org.pem") };

    for (const round of [1, 2]) {
      const { info } = await writeCertificate(paths, selfSigned("example.org"));
      expect(await proxy.running()).toBe(true);
      await proxy.reconfigure();
      await proxy.reload();
      await waitUntil(`round ${round}: the new certificate served`, async () => servedSerial() === info.serial, 20_000);
    }
    expect(sandbox.podman(["exec", container, "cat", "/usr/local/etc/haproxy/haproxy.cfg"])).toContain("    bind 0.0.0.0:443 ssl crt /usr/local/etc/haproxy/certs alpn h2,http/1.1\n");
    // The same master, never restarted: a reload, not a new container process.
    expect(inspect("{{.State.Pid}}")).toBe(pid);
    expect(inspect("{{.State.StartedAt}}")).toBe(started);
    expect(readCertificateInfo(readFileSync(paths.certFile, "utf8")).serial).toBe(servedSerial());
    expect(runner.calls.map((c) => c.join(" "))).toEqual([
      "podman ps --format {{.Names}}",
      `podman exec ${container} /usr/local/libexec/micropod/micropod-configure`,
      `podman exec ${container} haproxy -c -q -f /usr/local/etc/haproxy/haproxy.cfg`,
      `podman kill --signal ${constants.signals.SIGUSR2} ${container}`,
      "podman ps --format {{.Names}}",
      `podman exec ${container} /usr/local/libexec/micropod/micropod-configure`,
      `podman exec ${container} haproxy -c -q -f /usr/local/etc/haproxy/haproxy.cfg`,
      `podman kill --signal ${constants.signals.SIGUSR2} ${container}`,
    ]);
  });
});
