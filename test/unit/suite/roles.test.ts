import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { SuiteError } from "../../../src/core/errors.js";
import { loadSuite } from "../../../src/suite/load.js";
import { bundledRoles, defaultRoles, readRoles, roleService, roleServiceName, rolesOf, templateUsers, writerServices } from "../../../src/suite/roles.js";
import { service, suite } from "../../support/make-suite.js";
import { sampleVars } from "./vars.js";

const root = resolve(import.meta.dirname, "../../..");
const fixture = (name: string) => resolve(root, "test/fixtures/suites", name, "compose.yaml");

describe("roles: x-micropod: roles: in the compose file", () => {
  test("the bundled suite declares the bundled names; writers are web and every Sidekiq service", async () => {
    const s = await loadSuite(resolve(root, "containerfiles/compose.yaml"), sampleVars);
    expect(s.roles).toEqual(bundledRoles);
    const sidekiqs = ["sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler"];
    expect(writerServices(s)).toEqual(["web", ...sidekiqs]);
    // The template is mastodon, not the first build-only service (base).
    expect(roleService(s, "template").name).toBe("mastodon");
    expect(templateUsers(s)).toEqual([...sidekiqs, "web", "streaming"]);
  });

  test("roles under other names, writers listed by hand; the bundled names then mean nothing", async () => {
    const s = await loadSuite(fixture("declared-roles"), {});
    expect(s.roles).toEqual({ template: "app-image", database: "pg", web: "rails", scheduler: "jobs-cron", writers: ["rails", "jobs", "jobs-cron", "importer"] });
    expect(roleServiceName(s, "web")).toBe("rails");
    expect(writerServices(s)).toEqual(["rails", "jobs", "jobs-cron", "importer"]);
    expect(templateUsers(s)).toEqual(["rails", "jobs", "jobs-cron", "importer"]);
    expect(() => roleService(s, "search")).toThrow(SuiteError);
  });

  test("the block's shape: a mapping of roles; the template is checked first, then web against it", () => {
    // The template must be build-only (checked first: web is then checked against no template).
    const problems: string[] = [];
    const services = suite([service("web", { image: "localhost/x/app" }), service("app", { image: "localhost/x/app" })]).services;
    expect(readRoles({ roles: { template: "app", database: "app", web: "web" } }, services, (path, message) => problems.push(`${path}: ${message}`))).toEqual({ database: "app", web: "web" });
    expect(problems).toEqual(["x-micropod/roles/template: app is not build-only (x-micropod: {build-only: true}): the template is an image, never a container"]);
    problems.length = 0;
    readRoles({ roles: ["web"] }, services, (path, message) => problems.push(`${path}: ${message}`));
    readRoles("roles", services, (path, message) => problems.push(`${path}: ${message}`));
    expect(problems).toEqual([
      "x-micropod/roles: must map roles to services (template, database, search, web, streaming, scheduler, writers)",
      "x-micropod: must be a mapping (e.g. `roles:`)",
    ]);
  });

  test("without a block: the bundled names that exist and qualify", () => {
    const t = service("mastodon", { buildOnly: true, build: { context: "/c", dockerfile: "/c/Containerfile", args: {} } });
    const web = service("web", { image: t.image });
    const scheduler = service("sidekiq-scheduler", { image: t.image, command: ["bundle", "exec", "sidekiq", "-q", "scheduler"] });
    expect(defaultRoles(suite([t, web, scheduler, service("postgresql")]).services)).toEqual({ template: "mastodon", database: "postgresql", web: "web", scheduler: "sidekiq-scheduler" });
    // A web that does not run the template, a "scheduler" that serves another queue: no role.
    const s = suite([t, service("web"), service("sidekiq-scheduler", { command: ["bundle", "exec", "sidekiq", "-q", "default"] })]);
    expect(rolesOf(s)).toEqual({ template: "mastodon" });
    expect(() => roleService(s, "database")).toThrow(SuiteError);
    const err = (() => {
      try {
        roleService(s, "web");
      } catch (e) {
        return e as SuiteError;
      }
    })()!;
    expect(err.message).toBe("/suite/compose.yaml has no web service (the Rails web process, where tootctl and migrations run)");
    expect(err.details).toEqual(["/suite/compose.yaml: x-micropod/roles: declare it: x-micropod: {roles: {web: <service>}} (see docs/compose.md)"]);
  });
});
