import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { type HostVariable, pinHostNames } from "../../../src/suite/host-pins.js";
import { service, suite } from "../../support/make-suite.js";

const net = (ipv4?: string, aliases: string[] = []) => [{ name: "micropod", ...(ipv4 ? { ipv4Address: ipv4 } : {}), aliases }];
const demo = suite([
  service("postgresql", { containerName: "mastodon-postgresql", networks: net("10.89.0.10") }),
  service("redis", { containerName: "mastodon-redis", networks: net("10.89.0.11", ["cache"]) }),
  service("web", { networks: net("10.89.0.30"), extraHosts: ["postgres:192.0.2.99"] }),
  service("sidekiq", { networks: net() }),
  service("tool", { networkMode: "host" }),
  service("mastodon", { buildOnly: true }),
]);
const roles: HostVariable[] = [{ variable: "DB_HOST", role: "database" }, { variable: "REDIS_HOST" }, { variable: "ELASTIC_HOST", role: "search" }];
const hosts = (s: ReturnType<typeof pinHostNames>) => Object.fromEntries([...s.services].map(([k, v]) => [k, v.extraHosts]));

describe("pinHostNames", () => {
  it("pins the seed's DB_HOST=postgres to the database's static address in every networked container", () => {
    const pinned = pinHostNames(demo, { DB_HOST: "postgres", REDIS_HOST: "cache" }, roles);
    expect(hosts(pinned)).toEqual({
      postgresql: ["postgres:10.89.0.10", "cache:10.89.0.11"],
      redis: ["postgres:10.89.0.10", "cache:10.89.0.11"],
      // The compose file's own entry for the name wins.
      web: ["postgres:192.0.2.99", "cache:10.89.0.11"],
      sidekiq: ["postgres:10.89.0.10", "cache:10.89.0.11"],
      tool: [],
      mastodon: [],
    });
  });

  it("pins a service's own name or container name, and leaves addresses, localhost and DNS names alone", () => {
    expect(hosts(pinHostNames(demo, { DB_HOST: "mastodon-postgresql", REDIS_HOST: "redis" }, roles)).sidekiq).toEqual(["mastodon-postgresql:10.89.0.10", "redis:10.89.0.11"]);
    const untouched = pinHostNames(demo, { DB_HOST: "10.89.0.10", REDIS_HOST: "[fd00:10:89::11]", ELASTIC_HOST: "search.example.org" }, roles);
    expect(untouched).toBe(demo);
    expect(pinHostNames(demo, { DB_HOST: "localhost" }, roles)).toBe(demo);
  });

  it("refuses a bare name nothing answers to, or a service without a static address, with the reason", () => {
    const err = (() => {
      try {
        pinHostNames(demo, { DB_HOST: "sidekiq", ELASTIC_HOST: "search" }, roles, "/etc/micropod.env");
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a refusal");
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.details).toEqual([
      "/etc/micropod.env: DB_HOST: sidekiq means the service sidekiq, which has no static address to pin the name to (podman --add-host): give it ipv4_address, or set DB_HOST to an address",
      "/etc/micropod.env: ELASTIC_HOST: search names no service of /suite/compose.yaml and it has no search service: the containers could not resolve it; set an address or a service name",
    ]);
  });
});
