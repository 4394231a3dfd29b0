import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { ExitCode, SuiteError } from "../../../src/core/errors.js";
import { loadSuite } from "../../../src/suite/load.js";
import { tempDir } from "../../support/temp.js";

const fixtures = resolve(import.meta.dirname, "../../fixtures/suites");
const fixture = (name: string) => resolve(fixtures, name, "compose.yaml");

/** Loads a fixture that must be refused; returns its problem lines as the CLI prints them. */
async function refusal(name: string, vars: Record<string, string> = {}): Promise<string[]> {
  const err = await loadSuite(fixture(name), vars).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SuiteError);
  const suiteError = err as SuiteError;
  expect(suiteError.exitCode).toBe(ExitCode.suite);
  return suiteError.details.map((d) => d.replace(`${fixtures}/`, ""));
}

describe("loadSuite refuses bad suites, naming the file, line and path", () => {
  test("unknown depends_on target", async () => {
    expect(await refusal("unknown-dependency")).toEqual([
      'unknown-dependency/compose.yaml:6: services/web/depends_on/redis: unknown service "redis"',
    ]);
  });

  test("a stop_signal podman would deliver as another signal on FreeBSD (names mean Linux's numbers to podman)", async () => {
    expect(await refusal("stop-signals")).toEqual([
      "stop-signals/compose.yaml:6: services/proxy/stop_signal: podman sends SIGUSR1 as Linux's number 10, which FreeBSD delivers as SIGBUS: write 30, FreeBSD's SIGUSR1",
      "stop-signals/compose.yaml:9: services/worker/stop_signal: podman sends TSTP as Linux's number 20, which FreeBSD delivers as SIGCHLD: write 18, FreeBSD's SIGTSTP",
    ]);
  });

  test("a dependency cycle is named, each cycle once", async () => {
    expect(await refusal("cycle")).toEqual(["cycle/compose.yaml:5: services/a/depends_on/b: dependency cycle: a -> b -> c -> a"]);
  });

  test("an image no service builds and podman cannot pull", async () => {
    const hint = "(give it a build: or use a full name such as docker.io/library/redis:7)";
    expect(await refusal("unbuilt-image")).toEqual([
      `unbuilt-image/compose.yaml:11: services/helper/image: no service builds "localhost/fixture/helper" and it is not a registry reference podman can pull ${hint}`,
      `unbuilt-image/compose.yaml:14: services/shortname/image: no service builds "redis:7" and it is not a registry reference podman can pull ${hint}`,
    ]);
  });

  test("duplicate static addresses, IPv6 compared in canonical form", async () => {
    expect(await refusal("duplicate-address")).toEqual([
      "duplicate-address/compose.yaml:10: services/two/networks/suite/ipv6_address: address fd00:10:89:0:0::20 on network suite is already used by one",
      "duplicate-address/compose.yaml:14: services/three/networks/suite/ipv4_address: address 10.89.0.20 on network suite is already used by one",
    ]);
  });

  test("the scheduler queue served by two containers", async () => {
    expect(await refusal("two-schedulers")).toEqual([
      "two-schedulers/compose.yaml:10: services/sidekiq-scheduler/command: the scheduler queue is served by more than one container (sidekiq-default, sidekiq-scheduler): exactly one may run it",
    ]);
  });

  test("${VAR:?message} and ${VAR?} on a missing variable: the message, at the value's path", async () => {
    expect(await refusal("required-variable")).toEqual([
      "required-variable/compose.yaml:6: services/web/environment/LOCAL_DOMAIN: required variable DOMAIN is missing a value: set DOMAIN in the .env file",
      "required-variable/compose.yaml:7: services/web/environment/MAIL: required variable MAIL is missing a value",
    ]);
    // `:?` refuses an empty value, `?` accepts it.
    expect(await refusal("required-variable", { DOMAIN: "", MAIL: "" })).toEqual([
      "required-variable/compose.yaml:6: services/web/environment/LOCAL_DOMAIN: required variable DOMAIN is missing a value: set DOMAIN in the .env file",
    ]);
    const suite = await loadSuite(fixture("required-variable"), { DOMAIN: "example.org", MAIL: "" });
    expect(suite.services.get("web")!.environment).toEqual({ LOCAL_DOMAIN: "example.org", MAIL: "" });
  });

  test("depends_on a build-only service", async () => {
    expect(await refusal("build-only-dependency")).toEqual([
      "build-only-dependency/compose.yaml:9: services/worker/depends_on/template: template is build-only and never runs: use its image instead (every image is built before any container is created)",
    ]);
  });

  test("x-micropod roles: unknown role, unknown service, a service of the wrong kind, two schedulers: each named at its line", async () => {
    expect(await refusal("bad-roles")).toEqual([
      'bad-roles/compose.yaml:6: x-micropod/roles/search: unknown service "db"',
      "bad-roles/compose.yaml:8: x-micropod/roles/scheduler: exactly one service is the one Sidekiq process serving the scheduler queue, got 2: two schedulers would run Mastodon's periodic jobs twice",
      'bad-roles/compose.yaml:9: x-micropod/roles/queue: unknown role "queue" (roles: template, database, search, web, streaming, scheduler, writers)',
      "bad-roles/compose.yaml:10: x-micropod/roles/writers: template is build-only and never runs: it cannot write to the database",
      "bad-roles/compose.yaml:5: x-micropod/roles/database: template is build-only and never runs: it cannot be the PostgreSQL service",
      "bad-roles/compose.yaml:7: x-micropod/roles/web: other runs docker.io/library/nginx:1.27, not the template's image localhost/fixture/template: migrations and tootctl run in web's image",
    ]);
  });

  test("a roles block must name the template, the database and web; a scheduler must serve the scheduler queue", async () => {
    expect(await refusal("missing-roles")).toEqual([
      "missing-roles/compose.yaml:5: x-micropod/roles/scheduler: worker does not run Sidekiq on the scheduler queue (-q scheduler)",
      "missing-roles/compose.yaml:4: x-micropod/roles: names no template service (the build-only image Mastodon's processes run)",
      "missing-roles/compose.yaml:4: x-micropod/roles: names no web service (the Rails web process, where tootctl and migrations run)",
    ]);
  });

  test("every problem of a file at once", async () => {
    expect(await refusal("many-problems")).toEqual([
      'many-problems/compose.yaml:9: services/web/healthcheck/interval: "10 seconds" is not a duration (e.g. "10s", "1m30s")',
      'many-problems/compose.yaml:12: services/worker/stop_grace_period: "forever" is not a duration (e.g. "10s", "1m30s")',
      'many-problems/compose.yaml:6: services/web/depends_on/db: unknown service "db"',
      "many-problems/compose.yaml:13: services/worker/depends_on/worker: dependency cycle: worker -> worker",
      'many-problems/compose.yaml:4: services/web/image: no service builds "localhost/nobody/builds-this" and it is not a registry reference podman can pull (give it a build: or use a full name such as docker.io/library/redis:7)',
    ]);
  });

  test("schema violations carry the Compose path", async () => {
    const dir = tempDir("micropod-suite-");
    await writeFile(
      resolve(dir, "compose.yaml"),
      "services:\n  web:\n    image: docker.io/library/busybox:1.36\n    dependson: [db]\n    depends_on:\n      db: { condition: service_ready }\n  db:\n    image: docker.io/library/busybox:1.36\n",
    );
    const err = (await loadSuite(resolve(dir, "compose.yaml"), {}).catch((e: unknown) => e)) as SuiteError;
    expect(err.details.map((d) => d.replace(`${dir}/`, ""))).toEqual([
      "compose.yaml:4: services/web/dependson: is not a Compose key (extensions must start with x-)",
      'compose.yaml:6: services/web/depends_on/db/condition: must be one of "service_started", "service_healthy", "service_completed_successfully"',
    ]);
  });

  test("YAML that does not parse, and a missing file", async () => {
    const dir = tempDir("micropod-suite-");
    await writeFile(resolve(dir, "compose.yaml"), "services:\n  web:\n    image: a\n    image: b\n");
    const bad = (await loadSuite(resolve(dir, "compose.yaml"), {}).catch((e: unknown) => e)) as SuiteError;
    expect(bad).toBeInstanceOf(SuiteError);
    expect(bad.message).toBe(`${resolve(dir, "compose.yaml")} is not valid YAML`);
    expect(bad.details).toEqual([`${resolve(dir, "compose.yaml")}:4: Map keys must be unique`]);
    const err = (await loadSuite(resolve(fixtures, "nope", "compose.yaml"), {}).catch((e: unknown) => e)) as SuiteError;
    expect(err).toBeInstanceOf(SuiteError);
    expect(err.message).toBe(`cannot read the compose file ${resolve(fixtures, "nope", "compose.yaml")}`);
  });
});
