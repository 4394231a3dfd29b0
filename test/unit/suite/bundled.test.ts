import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { SuiteError } from "../../../src/core/errors.js";
import { variables } from "../../../src/config/variables.js";
import { loadSuite } from "../../../src/suite/load.js";
import { validateComposeSchema } from "../../../src/suite/schema.js";
import { sidekiqProcesses } from "../../../src/suite/sidekiq.js";
import { secretValues, sampleVars } from "./vars.js";

const root = resolve(import.meta.dirname, "../../..");
const composeFile = resolve(root, "containerfiles/compose.yaml");

/** docs/suite.md's service table: service → image, networks, IPv4, IPv6 (the shared contract). */
function contract(): Array<{ service: string; image: string; networks: string[]; ipv4: string[]; ipv6: string[] }> {
  const text = readFileSync(resolve(root, "docs/suite.md"), "utf8");
  // The first table only: the optional services' table follows it.
  const start = text.indexOf("| service |");
  const rows = text
    .slice(start, text.indexOf("\n\n", start))
    .split("\n")
    .filter((l) => /^\| [a-z]/.test(l) && !l.startsWith("| service"));
  const list = (cell: string) => (cell === "—" ? [] : cell.split(" + "));
  return rows.map((l) => {
    const [service, image, networks, ipv4, ipv6] = l.split("|").slice(1, 6).map((c) => c.trim()) as [string, string, string, string, string];
    return { service, image, networks: list(networks), ipv4: list(ipv4), ipv6: list(ipv6) };
  });
}

describe("the bundled compose file", async () => {
  const suite = await loadSuite(composeFile, sampleVars);
  const svc = (name: string) => suite.services.get(name)!;

  test("is checked against the Compose Specification's own schema: the bundled copy is that file, unchanged", () => {
    // src/suite/compose-spec.json is schema/compose-spec.json of github.com/compose-spec/compose-spec
    // as of commit a08f8d51631b7127ddac3d2c65537db429d0f1d0 (2025-10-21, the file's last change
    // there): its SHA-256. Refreshing the copy means updating the commit and the digest here.
    const digest = createHash("sha256").update(readFileSync(resolve(root, "src/suite/compose-spec.json"))).digest("hex");
    expect(digest).toBe("1f91e091f16b2dd50ab8860e02bb391d22df553d91c145eacedb1b6eff9c3f0e");
  });

  test("is valid against the Compose Specification schema as written", () => {
    const doc = parse(readFileSync(composeFile, "utf8"), { merge: true });
    expect(validateComposeSchema(doc, composeFile)).toEqual([]);
  });

  test("has exactly docs/suite.md's services, images, container names and addresses", () => {
    const rows = contract();
    expect([...suite.services.keys()]).toEqual(rows.map((r) => r.service));
    for (const r of rows) {
      const s = svc(r.service);
      expect(s.image, r.service).toBe(r.image);
      if (s.buildOnly) {
        expect(r.networks).toEqual([]);
        expect(s.networks).toEqual([]);
        continue;
      }
      expect(s.containerName).toBe(`mastodon-${r.service}`);
      expect(s.networks).toEqual(r.networks.map((name, i) => ({ name, ipv4Address: r.ipv4[i], ipv6Address: r.ipv6[i], aliases: [] })));
    }
    expect(suite.project).toBe("mastodon");
    expect([...suite.networks.values()]).toEqual([
      {
        name: "backend",
        podmanName: "micropod",
        driver: "bridge",
        driverOptions: { isolate: "true" },
        external: false,
        ipv6: true,
        subnets: [
          { subnet: "10.89.0.0/24", gateway: "10.89.0.1" },
          { subnet: "fd00:10:89::/64", gateway: "fd00:10:89::1" },
        ],
      },
      {
        name: "frontend",
        podmanName: "micropod-frontend",
        driver: "bridge",
        driverOptions: { isolate: "true" },
        external: false,
        ipv6: true,
        subnets: [
          { subnet: "10.89.1.0/24", gateway: "10.89.1.1" },
          { subnet: "fd00:10:89:1::/64", gateway: "fd00:10:89:1::1" },
        ],
      },
    ]);
  });

  test("the data stores share no network with the proxies; only web and streaming join both", () => {
    const on = (network: string) => [...suite.services.values()].filter((s) => s.networks.some((n) => n.name === network)).map((s) => s.name);
    const stores = ["postgresql", "redis", "opensearch"];
    const proxies = ["nginx", "nginx-media", "varnish", "haproxy"];
    expect(on("backend")).toEqual([...stores, "maintaindb", "sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler", "web", "streaming"]);
    expect(on("frontend")).toEqual(["web", "streaming", ...proxies]);
    // postgresql lets exactly the backend's subnets connect (its pg_hba block, from the network's own definition).
    const backend = suite.networks.get("backend")!.subnets.map((n) => n.subnet);
    expect([svc("postgresql").environment.PG_HBA_NETWORKS_V4, svc("postgresql").environment.PG_HBA_NETWORKS_V6]).toEqual(backend);
  });

  test("builds each image from containerfiles/<image>/Containerfile with the release (and Mastodon version) as build args", () => {
    const built = [...suite.services.values()].filter((s) => s.build);
    expect(built.map((s) => s.name)).toEqual(["base", "base-toolchain", "postgresql", "redis", "opensearch", "maintaindb", "mastodon", "nginx", "nginx-media", "varnish", "haproxy"]);
    for (const s of built) {
      // The two shared first stages are targets of one Containerfile in containerfiles/base.
      const dir = s.name.startsWith("base") ? "base" : s.name;
      expect(s.build).toEqual({
        context: resolve(root, "containerfiles", dir),
        dockerfile: resolve(root, "containerfiles", dir, "Containerfile"),
        args: s.name === "mastodon" ? { FREEBSD_RELEASE: "15.0", MASTODON_VERSION: "v4.3.8" } : { FREEBSD_RELEASE: "15.0" },
        ...(dir === "base" ? { target: s.name } : {}),
      });
    }
    expect(svc("mastodon").buildOnly).toBe(true);
    expect([...suite.services.values()].filter((s) => s.buildOnly).map((s) => s.name)).toEqual(["base", "base-toolchain", "mastodon"]);
  });

  test("depends_on with Compose conditions", () => {
    const edges = [...suite.services.values()].flatMap((s) => s.dependsOn.map((d) => `${s.name} -> ${d.service} (${d.condition})`));
    const sidekiqs = ["sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler"];
    expect(edges).toEqual([
      "maintaindb -> postgresql (service_healthy)",
      ...[...sidekiqs, "web", "streaming"].flatMap((s) => [
        `${s} -> maintaindb (service_completed_successfully)`,
        `${s} -> redis (service_healthy)`,
      ]),
      "nginx -> web (service_healthy)",
      "nginx -> streaming (service_healthy)",
      "varnish -> nginx (service_healthy)",
      "haproxy -> varnish (service_healthy)",
      "haproxy -> nginx-media (service_healthy)",
    ]);
  });

  test("every dependency waited on as healthy has a healthcheck with its timing", () => {
    for (const s of suite.services.values()) {
      for (const d of s.dependsOn.filter((x) => x.condition === "service_healthy")) {
        expect(svc(d.service).healthcheck, `${d.service} (needed by ${s.name})`).toBeDefined();
      }
    }
    expect(svc("postgresql").healthcheck).toEqual({
      test: ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"],
      intervalMs: 10_000,
      timeoutMs: 5000,
      retries: 5,
      startPeriodMs: 60_000,
      startIntervalMs: 2000,
    });
    // $$ in the file: the container's shell expands the env secret, never micropod's argv.
    expect(svc("redis").healthcheck!.test).toEqual(["CMD-SHELL", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG']);
    expect(svc("opensearch").healthcheck!.test).toEqual(["CMD-SHELL", 'HTTP_AUTH="basic:*:${ELASTIC_USER}:${ELASTIC_PASSWORD}" fetch -q -o /dev/null "http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s"']);
    expect(svc("web").healthcheck!.test).toEqual(["CMD-SHELL", "fetch -q -o /dev/null http://127.0.0.1:3000/health"]);
    expect(svc("streaming").healthcheck!.test).toEqual(["CMD-SHELL", "fetch -q -o /dev/null http://127.0.0.1:4000/api/v1/streaming/health"]);
  });

  test("jail profiles: ocijail annotations plus the hook's com.micropod.jail.profile", () => {
    expect(svc("postgresql").annotations).toEqual({
      "org.freebsd.jail.sysvmsg": "new",
      "org.freebsd.jail.sysvsem": "new",
      "org.freebsd.jail.sysvshm": "new",
      "com.micropod.jail.profile": "postgresql",
    });
    expect(svc("opensearch").annotations).toEqual({
      "org.freebsd.jail.allow.mount": "true",
      "org.freebsd.jail.allow.mount.fdescfs": "true",
      "org.freebsd.jail.allow.mount.procfs": "true",
      "org.freebsd.jail.allow.mlock": "true",
      "com.micropod.jail.profile": "opensearch",
    });
    const annotated = [...suite.services.values()].filter((s) => Object.keys(s.annotations).length > 0).map((s) => s.name);
    expect(annotated).toEqual(["postgresql", "opensearch"]);
  });

  test("restart policies the rc script honours, grace periods, log caps", () => {
    for (const s of suite.services.values()) {
      if (s.buildOnly) continue;
      expect(s.restart, s.name).toBe(s.name === "maintaindb" ? "no" : "always");
      expect(s.logging, s.name).toEqual({
        driver: "k8s-file",
        options: { "max-size": s.name === "postgresql" ? "10mb" : "50mb", path: `/var/log/containers/mastodon-${s.name}.log` },
      });
    }
    expect(svc("postgresql").stopGracePeriodMs).toBe(120_000);
    for (const p of sidekiqProcesses(suite)) expect(svc(p.service).stopGracePeriodMs).toBeGreaterThan(p.shutdownTimeout * 1000);
  });

  test("sidekiq containers: queues split, tagged with their container name, exactly one scheduler", () => {
    expect(sidekiqProcesses(suite)).toEqual(
      [
        ["sidekiq-ingress-1", ["ingress"]],
        ["sidekiq-ingress-2", ["ingress"]],
        ["sidekiq-pull", ["pull"]],
        ["sidekiq-push", ["push"]],
        ["sidekiq-default", ["default", "mailers"]],
        ["sidekiq-scheduler", ["scheduler"]],
      ].map(([service, queues]) => ({
        service,
        containerName: `mastodon-${service as string}`,
        queues,
        tag: `mastodon-${service as string}`,
        concurrency: 25,
        shutdownTimeout: 25,
      })),
    );
    expect(svc("sidekiq-default").environment.DB_POOL).toBe("25");
  });

  test("secrets reach containers only as env-type podman secrets, never in environment", () => {
    expect([...suite.secrets.values()].map((s) => `${s.name}=${s.environment}`)).toEqual([
      "secret_key=SECRET_KEY",
      "otp_secret=OTP_SECRET",
      "vapid_private_key=VAPID_PRIVATE_KEY",
      "active_record_encryption_deterministic_key=ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
      "active_record_encryption_key_derivation_salt=ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
      "active_record_encryption_primary_key=ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
      "db_pass=DB_PASS",
      "replication_password=REPLICATION_PASSWORD",
      "redis_password=REDIS_PASSWORD",
      "my_mail_password=MY_MAIL_PASSWORD",
      "s3_secret_access_key=S3_SECRET_ACCESS_KEY",
      "elastic_password=ELASTIC_PASSWORD",
      "deepl_api_key=DEEPL_API_KEY",
    ]);
    expect(svc("web").secrets.map((s) => `${s.source}->${s.target}:${s.type}`)).toEqual([
      "secret_key->SECRET_KEY_BASE:env",
      "otp_secret->OTP_SECRET:env",
      "vapid_private_key->VAPID_PRIVATE_KEY:env",
      "active_record_encryption_deterministic_key->ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY:env",
      "active_record_encryption_key_derivation_salt->ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT:env",
      "active_record_encryption_primary_key->ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY:env",
      "db_pass->DB_PASS:env",
      "db_pass->REPLICA_DB_PASS:env",
      "redis_password->REDIS_PASSWORD:env",
      "redis_password->CACHE_REDIS_PASSWORD:env",
      "my_mail_password->SMTP_PASSWORD:env",
      "s3_secret_access_key->AWS_SECRET_ACCESS_KEY:env",
      "elastic_password->ES_PASS:env",
      "deepl_api_key->DEEPL_API_KEY:env",
    ]);
    expect(svc("streaming").secrets).toEqual([
      { source: "db_pass", target: "DB_PASS", type: "env" },
      { source: "redis_password", target: "REDIS_PASSWORD", type: "env" },
    ]);
    expect(svc("redis").secrets).toEqual([{ source: "redis_password", target: "REDIS_PASSWORD", type: "env" }]);
    const everything = JSON.stringify([...suite.services.values()]);
    expect(secretValues.length).toBeGreaterThan(8);
    for (const secret of secretValues) expect(everything).not.toContain(secret);
  });

  test("the Mastodon environment comes from the configuration", () => {
    expect(svc("web").environment).toMatchObject({
      LOCAL_DOMAIN: "social.example.org",
      DB_HOST: "10.89.0.10",
      REDIS_HOST: "10.89.0.11",
      ES_HOST: "10.89.0.12",
      SMTP_SERVER: "smtp.example.org",
      SMTP_FROM_ADDRESS: "notifications@social.example.org",
      PORT: "3000",
    });
    expect(svc("haproxy").ports).toEqual(["192.0.2.10:80:80/tcp", "192.0.2.10:443:443/tcp", "[2001:db8::10]:80:80/tcp", "[2001:db8::10]:443:443/tcp"]);
  });

  test("SINGLE_USER_MODE reaches every Mastodon process, false unless the .env says true", async () => {
    const mastodon = [...suite.services.values()].filter((s) => "LOCAL_DOMAIN" in s.environment).map((s) => s.name);
    const sidekiqs = ["sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler"];
    expect(mastodon).toEqual(["maintaindb", ...sidekiqs, "web", "streaming"]);
    for (const n of mastodon) expect(svc(n).environment.SINGLE_USER_MODE, n).toBe("false");
    const single = await loadSuite(composeFile, { ...sampleVars, SINGLE_USER_MODE: "true" });
    for (const n of mastodon) expect(single.services.get(n)!.environment.SINGLE_USER_MODE, n).toBe("true");
  });

  test("every configuration variable reaches the suite or is read by micropod itself", () => {
    const compose = readFileSync(composeFile, "utf8");
    const sources = readdirSync(resolve(root, "src"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(resolve(root, "src", f), "utf8"))
      .join("\n");
    const unused = variables
      .map((v) => v.name)
      // `${NAME}`, a secret's `environment: NAME`, or a bare `NAME:` (its value, when set, passed as it is).
      .filter((name) => !new RegExp(`\\$\\{${name}\\b|environment: ${name}\\b|^ +${name}:$`, "m").test(compose))
      .filter((name) => !new RegExp(`vars\\??\\.${name}\\b|vars\\[["']${name}["']\\]|setting\\(["']${name}["']\\)`).test(sources));
    expect(unused).toEqual([]);
  });

  test("an address family left blank publishes haproxy on that family's loopback only", async () => {
    const v4only = await loadSuite(composeFile, { ...sampleVars, IP6_ADDRESS: "" });
    expect(v4only.services.get("haproxy")!.ports).toEqual(["192.0.2.10:80:80/tcp", "192.0.2.10:443:443/tcp", "[::1]:80:80/tcp", "[::1]:443:443/tcp"]);
    const v6only = await loadSuite(composeFile, { ...sampleVars, IP4_ADDRESS: "" });
    expect(v6only.services.get("haproxy")!.ports).toEqual(["127.0.0.1:80:80/tcp", "127.0.0.1:443:443/tcp", "[2001:db8::10]:80:80/tcp", "[2001:db8::10]:443:443/tcp"]);
  });

  test("DOMAIN and MASTODON_VERSION are required; an unset VAPID_PUBLIC_KEY is a warning", async () => {
    const { DOMAIN: _d, MASTODON_VERSION: _m, VAPID_PUBLIC_KEY: _v, ...rest } = sampleVars;
    const err = (await loadSuite(composeFile, rest).catch((e: unknown) => e)) as SuiteError;
    expect(err).toBeInstanceOf(SuiteError);
    const paths = err.problems.map((p) => `${p.path}: ${p.message}`);
    expect(paths).toContain("services/mastodon/build/args/MASTODON_VERSION: required variable MASTODON_VERSION is missing a value: set MASTODON_VERSION in the .env file (a Mastodon release tag)");
    expect(paths).toContain("services/web/environment/LOCAL_DOMAIN: required variable DOMAIN is missing a value: set DOMAIN in the .env file (the instance's domain name)");
    const { VAPID_PUBLIC_KEY: _, ...noVapid } = sampleVars;
    const loaded = await loadSuite(composeFile, noVapid);
    expect(loaded.warnings).toContain("services/web/environment/VAPID_PUBLIC_KEY: variable VAPID_PUBLIC_KEY is not set; substituting an empty string");
  });
});
