import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { tempDir } from "../support/temp.js";

/**
 * The opensearch entrypoint, run for real in a container on this machine's own userland (podman
 * `--rootfs /:O`: what it writes lands in a throwaway overlay), with FreeBSD's mount(8) and
 * limits(1) faked (test/content/fakes, each refusing what the real one refuses). ocijail ignores
 * the OCI spec's process.rlimits, so compose's `ulimits` do nothing on FreeBSD: the entrypoint
 * sets memorylocked and openfiles itself, with limits(1), as root, before it switches to the
 * opensearch user. (This machine cannot raise a hard limit at all, so the fake limits(1) records
 * what it was asked to set instead of setting it.) The security plugin's files are made with this
 * machine's real openssl; its hash.sh (Java, not here) is faked (test/content/fakes/opensearch-home).
 */
const repo = resolve(import.meta.dirname, "../..");
const PASSWORD = "Search-Pa55word with spaces";
let sandbox: PodmanSandbox;
let out: string;

beforeAll(() => {
  sandbox = createPodmanSandbox();
  out = tempDir("micropod-opensearch-");
  mkdirSync(join(out, "data"));
  // What the command writes as the opensearch user.
  mkdirSync(join(out, "cmd"));
  mkdirSync(join(out, "conf"));
  chmodSync(out, 0o755);
  chmodSync(join(out, "cmd"), 0o777);
});

describe("containerfiles/opensearch/entrypoint.sh", () => {
  it("mounts fdescfs and procfs, renders opensearch.yml, and runs the command under limits -l unlimited -n 65536 as root, then as opensearch", () => {
    const setup = "useradd --system --no-create-home --home-dir /nonexistent opensearch && id -u opensearch >/out/opensearch.uid";
    const command = "id -un >/out/cmd/user; cp /out/conf/opensearch.yml /out/cmd/opensearch.yml";
    sandbox.podman([
      "run", "--rm", "--network", "none",
      "--volume", `${join(repo, "containerfiles")}:/src:ro`,
      "--volume", `${join(repo, "test/content/fakes")}:/fakes:ro`,
      "--volume", `${out}:/out`,
      "--env", "PATH=/fakes:/usr/sbin:/usr/bin:/sbin:/bin",
      "--env", "MICROPOD_LIBEXEC=/src/base",
      "--env", "MICROPOD_TEMPLATES=/src/opensearch",
      "--env", "OPENSEARCH_DATA_DIR=/out/data",
      "--env", "OPENSEARCH_CONF_DIR=/out/conf",
      "--env", "OPENSEARCH_HOME=/fakes/opensearch-home",
      "--env", "FAKE_HASH_LOG=/out/hash.log",
      "--env", "ELASTIC_USER=mastodon",
      "--env", `ELASTIC_PASSWORD=${PASSWORD}`,
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

  it("turns the security plugin on: one user, ELASTIC_USER, hashed by the plugin's tool from the environment, and transport TLS it can read", () => {
    const conf = (f: string) => join(out, "conf", f);
    const yml = parse(readFileSync(conf("opensearch.yml"), "utf8")) as Record<string, unknown>;
    expect(yml).toMatchObject({
      "plugins.security.disabled": false,
      "plugins.security.ssl.http.enabled": false,
      "plugins.security.allow_default_init_securityindex": true,
      "plugins.security.nodes_dn": ["CN=mastodon-opensearch"],
    });
    // The transport certificate: signed by the CA the file names, its subject the nodes_dn, an
    // unencrypted PKCS#8 key that belongs to it.
    const certFile = conf(yml["plugins.security.ssl.transport.pemcert_filepath"] as string);
    const keyFile = conf(yml["plugins.security.ssl.transport.pemkey_filepath"] as string);
    const caFile = conf(yml["plugins.security.ssl.transport.pemtrustedcas_filepath"] as string);
    const openssl = (...args: string[]) => spawnSync("openssl", args, { encoding: "utf8" });
    expect(openssl("verify", "-CAfile", caFile, certFile).stdout.trim()).toBe(`${certFile}: OK`);
    expect(openssl("x509", "-in", certFile, "-noout", "-subject", "-nameopt", "RFC2253").stdout.trim()).toBe("subject=CN=mastodon-opensearch");
    expect(readFileSync(keyFile, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(openssl("pkey", "-in", keyFile, "-pubout").stdout).toBe(openssl("x509", "-in", certFile, "-noout", "-pubkey").stdout);
    // The user database holds Mastodon's user only, with the hash of ELASTIC_PASSWORD; the
    // password reached the hasher through its environment, never its arguments.
    const users = parse(readFileSync(conf("opensearch-security/internal_users.yml"), "utf8")) as Record<string, unknown>;
    const sha = spawnSync("sha256sum", { input: PASSWORD, encoding: "utf8" }).stdout.split(" ")[0];
    expect(users).toEqual({
      _meta: { type: "internalusers", config_version: 2 },
      mastodon: { hash: `$2y$12$${sha}`, reserved: false, opendistro_security_roles: ["all_access"], description: "Mastodon (micropod's ELASTIC_USER)" },
    });
    expect(readFileSync(join(out, "hash.log"), "utf8")).toBe("-env ELASTIC_PASSWORD\n");
    // The rest of the plugin's configuration is micropod's too (no demo users, nobody anonymous).
    expect(readdirSync(conf("opensearch-security")).sort()).toEqual(["action_groups.yml", "config.yml", "internal_users.yml", "roles.yml", "roles_mapping.yml", "tenants.yml"]);
    const config = parse(readFileSync(conf("opensearch-security/config.yml"), "utf8")) as { config: { dynamic: { http: { anonymous_auth_enabled: boolean } } } };
    expect(config.config.dynamic.http.anonymous_auth_enabled).toBe(false);
    // Secrets readable by the opensearch user only.
    const uid = Number(readFileSync(join(out, "opensearch.uid"), "utf8"));
    for (const f of [keyFile, conf("opensearch-security/internal_users.yml")]) {
      expect({ f, mode: statSync(f).mode & 0o777, uid: statSync(f).uid }).toEqual({ f, mode: 0o600, uid });
    }
  });
});
