import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { ExitCode, SuiteError } from "../../../src/core/errors.js";
import { loadSuite } from "../../../src/suite/load.js";
import { bundledRoles, defaultRoles, readRoles, roleService, roleServiceName, rolesOf, templateUsers, writerServices } from "../../../src/suite/roles.js";
import { service, suite } from "../../support/make-suite.js";
import { sampleVars } from "./vars.js";

const root = resolve(import.meta.dirname, "../../..");
const fixtures = resolve(root, "test/fixtures/suites");
const fixture = (name: string) => resolve(fixtures, name, "compose.yaml");

async function refusal(name: string): Promise<string[]> {
  const err = await loadSuite(fixture(name), {}).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SuiteError);
  expect((err as SuiteError).exitCode).toBe(ExitCode.suite);
  return (err as SuiteError).details.map((d) => d.replace(`${fixtures}/`, ""));
}

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

  test("unknown role, unknown service, a service of the wrong kind, two schedulers: each named at its line", async () => {
    expect(await refusal("bad-roles")).toEqual([
      'bad-roles/compose.yaml:6: x-micropod/roles/search: unknown service "db"',
      "bad-roles/compose.yaml:8: x-micropod/roles/scheduler: exactly one service is the one Sidekiq process serving the scheduler queue, got 2: two schedulers would run Mastodon's periodic jobs twice",
      'bad-roles/compose.yaml:9: x-micropod/roles/queue: unknown role "queue" (roles: template, database, search, web, streaming, scheduler, writers)',
      "bad-roles/compose.yaml:10: x-micropod/roles/writers: template is build-only and never runs: it cannot write to the database",
      "bad-roles/compose.yaml:5: x-micropod/roles/database: template is build-only and never runs: it cannot be the PostgreSQL service",
      "bad-roles/compose.yaml:7: x-micropod/roles/web: other runs docker.io/library/nginx:1.27, not the template's image localhost/fixture/template: migrations and tootctl run in web's image",
    ]);
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

  test("a roles block must name the template, the database and web; a scheduler must serve the scheduler queue", async () => {
    expect(await refusal("missing-roles")).toEqual([
      "missing-roles/compose.yaml:5: x-micropod/roles/scheduler: worker does not run Sidekiq on the scheduler queue (-q scheduler)",
      "missing-roles/compose.yaml:4: x-micropod/roles: names no template service (the build-only image Mastodon's processes run)",
      "missing-roles/compose.yaml:4: x-micropod/roles: names no web service (the Rails web process, where tootctl and migrations run)",
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
