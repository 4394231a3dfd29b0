import { describe, expect, it } from "vitest";
import { Redactor } from "../../../src/core/redact.js";
import { type ObservedState, emptyObservedState } from "../../../src/engine/observe.js";
import { type ContainerStep, planStart } from "../../../src/engine/plan.js";
import { renderPlan } from "../../../src/engine/render.js";
import { planStop, stopBatchCommand } from "../../../src/engine/stop.js";
import type { ContainerSummary } from "../../../src/podman/readers.js";
import type { Network } from "../../../src/suite/model.js";
import { dep, health, service, suite } from "../../support/make-suite.js";

const SECRET = "correct-horse-battery-staple";
const build = (name: string) => ({ context: `/suite/${name}`, dockerfile: `/suite/${name}/Containerfile`, args: { RELEASE: "15.0" } });
const demo = suite(
  [
    service("base", { build: build("base"), buildOnly: true }),
    service("db", {
      build: build("db"),
      healthcheck: health(["CMD-SHELL", "pg_isready -q"]),
      stopGracePeriodMs: 120_000,
      secrets: [{ source: "db_pass", target: "DB_PASS", type: "env" }],
      networks: [{ name: "net", ipv4Address: "10.89.0.10", aliases: [] }],
    }),
    service("migrate", { image: "localhost/demo/base", dependsOn: [dep("db", "service_healthy")], command: ["migrate"] }),
    service("web", {
      image: "localhost/demo/base",
      dependsOn: [dep("db", "service_healthy"), dep("migrate", "service_completed_successfully")],
      environment: { RAILS_ENV: "production" },
      secrets: [{ source: "db_pass", target: "DB_PASS", type: "env" }],
    }),
    service("proxy", { image: "docker.io/library/haproxy:2.9", dependsOn: [dep("web")], ports: ["127.0.0.1:8080:80"] }),
  ],
  {
    networks: [{ name: "net", podmanName: "demo_net", external: false, ipv6: false, subnets: [{ subnet: "10.89.0.0/24", gateway: "10.89.0.1" }] }],
    secrets: [{ name: "db_pass", environment: "DB_PASS" }],
  },
);
const config = { vars: { DB_PASS: SECRET }, secretNames: new Set(["DB_PASS"]) };
const contexts = {
  base: { digest: "d-base", bases: ["docker.io/freebsd/freebsd-notoolchain:15.0"], files: 3 },
  db: { digest: "d-db", bases: ["localhost/demo/base:latest"], files: 2 },
};
const fresh: ObservedState = { ...emptyObservedState(), buildContexts: contexts };
/** The value of the `--label key=value` a step's command line sets. */
const labelOf = (argv: readonly string[], key: string): string => argv.find((a) => a.startsWith(`${key}=`))!.slice(key.length + 1);
const createArgv = (c: ContainerStep) => c.commands.find((x) => x.argv[1] === "create")!.argv;

describe("planStart", () => {
  it("plans a fresh host: network, secret, builds in FROM order, containers; secrets never in a line", () => {
    const plan = planStart(demo, config, fresh, { logDir: "/logs" });
    expect(plan.order).toEqual(["base", "db", "migrate", "web", "proxy"]);
    expect(plan.buildGroups).toEqual([["base"], ["db"]]);
    const redactor = new Redactor().add(SECRET);
    const lines = renderPlan(plan, redactor);
    const web = plan.containers.find((c) => c.service === "web")!;
    const db = plan.containers.find((c) => c.service === "db")!;
    const base = plan.builds.find((b) => b.service === "base")!;
    const dbb = plan.builds.find((b) => b.service === "db")!;
    const L = "--label com.docker.compose.container-number=1 --label com.docker.compose.oneoff=False --label com.docker.compose.project=demo --label com.docker.compose.project.config_files=/suite/compose.yaml --label com.docker.compose.project.working_dir=/suite";
    const I = "--label io.podman.compose.project=demo --label io.podman.compose.version=micropod";
    expect(lines).toEqual([
      "podman network create --driver bridge --label com.docker.compose.project=demo --label io.podman.compose.project=demo --subnet 10.89.0.0/24 --gateway 10.89.0.1 demo_net",
      expect.stringMatching(/^MICROPOD_SECRET_VALUE='\*{8}' podman secret create --label com.docker.compose.project=demo --label micropod.value-hash=[0-9a-f]{32} --env demo_db_pass MICROPOD_SECRET_VALUE$/),
      "podman pull docker.io/library/haproxy:2.9",
      `podman build --file /suite/base/Containerfile --build-arg RELEASE=15.0 --label com.docker.compose.project=demo --label com.docker.compose.service=base --label micropod.input-hash=${base.inputHash} --label micropod.input-parts=${labelOf(base.command.argv, "micropod.input-parts")} --tag localhost/demo/base:latest /suite/base`,
      `podman build --file /suite/db/Containerfile --build-arg RELEASE=15.0 --label com.docker.compose.project=demo --label com.docker.compose.service=db --label micropod.input-hash=${dbb.inputHash} --label micropod.input-parts=${labelOf(dbb.command.argv, "micropod.input-parts")} --tag localhost/demo/db:latest /suite/db`,
      `podman create --name demo-db ${L} --label com.docker.compose.service=db ${I} --label micropod.config-hash=${db.configHash} --label micropod.config-parts=${labelOf(createArgv(db), "micropod.config-parts")} --network demo_net --ip 10.89.0.10 --secret demo_db_pass,type=env,target=DB_PASS --stop-timeout 120 localhost/demo/db`,
      "podman start demo-db",
      // The watcher: the check repeated inside the container every 0.1 s, for its failure budget (0 + 3 × (1 + 1) s = 60 rounds).
      `podman exec demo-db /bin/sh -c 'n=$1; shift; while :; do "$@" >/dev/null 2>&1 && echo micropod-check-passed && exit 0; n=$((n-1)); [ "$n" -gt 0 ] || exit 3; sleep 0.1 2>/dev/null || sleep 1; done' micropod-watch 60 /bin/sh -c 'pg_isready -q'`,
      // The probe from outside: the check, then a line from its shell once it passed.
      `podman exec demo-db /bin/sh -c '"$@" && echo micropod-check-passed' micropod-probe /bin/sh -c 'pg_isready -q'`,
      expect.stringMatching(/^podman create --name demo-migrate .* localhost\/demo\/base migrate$/),
      "podman start demo-migrate",
      "podman wait demo-migrate",
      `podman create --name demo-web ${L} --label com.docker.compose.service=web ${I} --label micropod.config-hash=${web.configHash} --label micropod.config-parts=${labelOf(createArgv(web), "micropod.config-parts")} --env RAILS_ENV=production --secret demo_db_pass,type=env,target=DB_PASS localhost/demo/base`,
      "podman start demo-web",
      expect.stringMatching(/^podman create --name demo-proxy .* --publish 127.0.0.1:8080:80 docker.io\/library\/haproxy:2.9$/),
      "podman start demo-proxy",
    ]);
    expect(lines.join("\n")).not.toContain(SECRET);
    // Beside each hash, one short fingerprint per input: what the next plan compares to say which changed.
    expect(labelOf(dbb.command.argv, "micropod.input-parts")).toMatch(/^args=[0-9a-f]{8},bases=[0-9a-f]{8},context=[0-9a-f]{8}$/);
    expect(labelOf(createArgv(web), "micropod.config-parts").split(",").map((kv) => kv.split("=")[0])).toEqual(
      expect.arrayContaining(["env", "image", "image-id", "labels", "name", "secret-values", "secrets"]),
    );
    expect(plan.builds.map((b) => [b.service, b.action, b.reason])).toEqual([
      ["base", "build", "no image"],
      ["db", "build", "no image"],
    ]);
    expect(plan.containers.map((c) => [c.service, c.readiness.conditions])).toEqual([
      ["db", ["service_healthy"]],
      ["migrate", ["service_completed_successfully"]],
      ["web", ["service_started"]],
      ["proxy", []],
    ]);
    // What `micropod plan` prints for a container step: its action, why, and what it waits for.
    const webStep = plan.containers.find((c) => c.service === "web")!;
    expect([webStep.action, webStep.reason, webStep.dependsOn.map((d) => `${d.service} ${d.condition}`)]).toEqual([
      "create",
      "no container",
      ["db service_healthy", "migrate service_completed_successfully"],
    ]);
  });

  it("a second plan on the running suite does nothing; a changed input rebuilds and recreates only what depends on it", () => {
    const haproxy = { id: "id-haproxy", names: ["docker.io/library/haproxy:2.9"], labels: {} };
    const first = planStart(demo, config, { ...fresh, images: { "docker.io/library/haproxy:2.9": haproxy } });
    const running: ObservedState = {
      ...fresh,
      podmanVersion: "5.4.2",
      networks: ["demo_net"],
      secrets: { demo_db_pass: { labels: { "micropod.value-hash": (first.secrets[0]!.commands[0]!.argv.find((a) => a.startsWith("micropod.value-hash=")) ?? "").split("=")[1]! } } },
      images: Object.fromEntries([
        ...first.builds.map((b) => [
          b.image,
          { id: `id-${b.service}`, names: [b.image], labels: { "micropod.input-hash": b.inputHash, "micropod.input-parts": labelOf(b.command.argv, "micropod.input-parts") } },
        ]),
        ["docker.io/library/haproxy:2.9", haproxy],
      ]),
      containers: Object.fromEntries(
        first.containers.map((c) => [
          c.container,
          { id: c.service, name: c.container, image: c.image, imageId: "", state: c.service === "migrate" ? "exited" : "running", exitCode: 0, labels: { "micropod.config-hash": c.configHash, "micropod.config-parts": labelOf(createArgv(c), "micropod.config-parts") } },
        ]),
      ),
    };
    const again = planStart(demo, config, running);
    // Nothing launches, so nothing waits: not even db's healthcheck runs.
    expect(renderPlan(again)).toEqual([]);
    expect(again.containers.map((c) => c.readiness.conditions)).toEqual([[], [], [], []]);
    // podman says "stopped" of a container that exited before conmon's exit command cleaned it
    // up (containers/podman libpod/define/containerstate.go), which on a loaded host lasts a
    // while: a one-shot in that state has completed all the same and is not run again.
    const uncleaned: ObservedState = { ...running, containers: { ...running.containers, "demo-migrate": { ...running.containers["demo-migrate"]!, state: "stopped" } } };
    expect(renderPlan(planStart(demo, config, uncleaned))).toEqual([]);
    expect(again.builds.map((b) => b.action)).toEqual(["up-to-date", "up-to-date"]);
    expect(again.warnings).toEqual([]);

    const changed = planStart(demo, config, { ...running, buildContexts: { ...contexts, db: { ...contexts.db, digest: "d-db-2" } } });
    expect(changed.builds.map((b) => [b.service, b.action, b.reason])).toEqual([
      ["base", "up-to-date", "cached"],
      ["db", "build", "changed: build context"],
    ]);
    expect(changed.containers.map((c) => [c.service, c.action, c.reason])).toEqual([
      ["db", "recreate", "definition changed: image"],
      ["migrate", "leave", "completed, unchanged"],
      ["web", "leave", "running, unchanged"],
      ["proxy", "leave", "running, unchanged"],
    ]);
    expect(renderPlan(changed).slice(0, 2)).toEqual([expect.stringMatching(/^podman build --file \/suite\/db\/Containerfile/), "podman rm --force --time 120 demo-db"]);

    const newSecret = planStart(demo, { ...config, vars: { DB_PASS: "another-long-secret" } }, running);
    expect(newSecret.secrets.map((s) => [s.name, s.action])).toEqual([["demo_db_pass", "update"]]);
    expect(newSecret.containers.filter((c) => c.action === "recreate").map((c) => [c.service, c.reason])).toEqual([
      ["db", "definition changed: secret value"],
      ["web", "definition changed: secret value"],
    ]);
    // A changed environment names what differs; a container labelled by an older micropod (a hash, no parts) only that it changed.
    const envChanged = suite([...demo.services.values()].map((s) => (s.name === "web" ? { ...s, environment: { RAILS_ENV: "staging" } } : s)), {
      networks: [...demo.networks.values()],
      secrets: [...demo.secrets.values()],
    });
    expect(planStart(envChanged, config, running).containers.filter((c) => c.action === "recreate").map((c) => [c.service, c.reason])).toEqual([["web", "definition changed: env"]]);
    const old: ObservedState = { ...running, containers: { ...running.containers, "demo-web": { ...running.containers["demo-web"]!, labels: { "micropod.config-hash": "0".repeat(32) } } } };
    expect(planStart(demo, config, old).containers.filter((c) => c.action === "recreate").map((c) => [c.service, c.reason])).toEqual([["web", "definition changed"]]);
    // web keeps serving until db is healthy again: its removal is part of its launch, not prepared early.
    const web = newSecret.containers.find((c) => c.service === "web")!;
    expect(web.prepare).toEqual([]);
    expect(web.launch.map((c) => c.argv.slice(0, 3).join(" "))).toEqual(["podman rm --force", "podman create --name", "podman start demo-web"]);
  });

  it("selects asked services with their dependencies, and warns about env secrets on podman < 5.3", () => {
    const plan = planStart(demo, config, { ...fresh, podmanVersion: "4.3.1" }, { services: ["migrate"] });
    expect(plan.order).toEqual(["db", "migrate"]);
    expect(plan.builds.map((b) => b.service)).toEqual(["base", "db"]);
    expect(plan.pulls).toEqual([]);
    expect(plan.warnings).toEqual(["podman 4.3.1 shows type=env secrets in `podman inspect` (fixed in podman 5.3): upgrade podman or use file secrets"]);
    expect(() => planStart(demo, config, fresh, { services: ["nope"] })).toThrow(/no such service: nope/);
  });

  it.each([
    ["5.2.5", true],
    ["v5.2.0", true],
    ["5.3.0-dev", false],
    ["5.3.0-rc1", false],
    ["5.10.1", false],
    ["unknown", false],
  ])("podman %s: env-secret warning %s", (podmanVersion, warns) => {
    const plan = planStart(demo, config, { ...fresh, podmanVersion }, { services: ["migrate"] });
    expect(plan.warnings.some((w) => w.includes("shows type=env secrets"))).toBe(warns);
  });

  it("wait adds each selected healthcheck to what execution waits for; noRecreate starts a changed container as it is", () => {
    // Alone, db has no dependent waiting for it: only `wait` makes its healthcheck count.
    expect(planStart(demo, config, fresh, { services: ["db"] }).containers.map((c) => [c.service, c.readiness.conditions])).toEqual([["db", []]]);
    const waited = planStart(demo, config, fresh, { services: ["proxy"], wait: true });
    expect(waited.containers.map((c) => [c.service, c.readiness.conditions])).toEqual([
      ["db", ["service_healthy"]],
      ["migrate", ["service_completed_successfully"]],
      ["web", ["service_started"]],
      ["proxy", []],
    ]);
    const stale = (state: ContainerSummary["state"]): ContainerSummary => ({ id: "x", name: "", image: "", imageId: "", state, exitCode: 0, labels: { "micropod.config-hash": "old" } });
    const observed: ObservedState = { ...fresh, containers: { "demo-db": stale("exited"), "demo-migrate": stale("exited"), "demo-web": stale("running") } };
    const kept = planStart(demo, config, observed, { services: ["web"], noRecreate: true });
    expect(kept.containers.map((c) => [c.service, c.action, c.reason, renderPlan({ ...kept, networks: [], secrets: [], pulls: [], builds: [], containers: [c] }).join("; ")])).toEqual([
      // migrate and web are left alone, so nothing waits for db's healthcheck.
      ["db", "start", "exited, definition changed, not recreated", "podman start demo-db"],
      ["migrate", "leave", "completed, definition changed, not recreated", ""],
      ["web", "leave", "running, definition changed, not recreated", ""],
    ]);
    expect(planStart(demo, config, observed, { services: ["web"] }).containers.map((c) => c.action)).toEqual(["recreate", "recreate", "recreate"]);
  });

  it("noDeps recreates exactly the services asked for and leaves what they depend on alone (Compose up --no-deps)", () => {
    const stale = (state: ContainerSummary["state"]): ContainerSummary => ({ id: "x", name: "", image: "", imageId: "", state, exitCode: 0, labels: { "micropod.config-hash": "old" } });
    const observed: ObservedState = { ...fresh, containers: { "demo-db": stale("running"), "demo-migrate": stale("exited"), "demo-web": stale("running") } };
    const only = planStart(demo, config, observed, { services: ["web"], noDeps: true, wait: true });
    expect(only.order).toEqual(["web"]);
    expect(only.containers.map((c) => [c.service, c.action, c.dependsOn])).toEqual([["web", "recreate", []]]);
    // Without it, the closure recreates migrate too: in the bundled suite that is maintaindb, which runs every migration.
    expect(planStart(demo, config, observed, { services: ["web"] }).containers.map((c) => `${c.service}: ${c.action}`)).toEqual(["db: recreate", "migrate: recreate", "web: recreate"]);
  });

  it("a build-only service asked for by name is built; no closure pulls it in otherwise", () => {
    const plan = planStart(demo, config, fresh, { services: ["base"] });
    expect(plan.order).toEqual(["base"]);
    expect(plan.builds.map((b) => b.service)).toEqual(["base"]);
    expect(plan.containers).toEqual([]);
  });

  it("refuses a secret value in plain environment, and service_healthy on a service without healthcheck", () => {
    const leaky = suite([service("a", { environment: { URL: `postgres://u:${SECRET}@db/x` } }), service("b", { dependsOn: [dep("a", "service_healthy")] })]);
    try {
      planStart(leaky, config, fresh);
      expect.unreachable();
    } catch (e) {
      expect((e as { details: string[] }).details).toEqual([
        "services/a/environment/URL: carries the secret DB_PASS: pass it with secrets: (a podman secret) instead",
        "services/b/depends_on/a: waits for service_healthy but a has no healthcheck",
      ]);
    }
  });
});

describe("planStart: each step planner's branches", () => {
  const net = (name: string, over: Partial<Network> = {}): Network => ({ name, podmanName: `demo_${name}`, external: false, ipv6: false, subnets: [], ...over });
  const on = (...names: string[]) => names.map((name) => ({ name, aliases: [] }));

  it("networks: each created once, an existing one not again, a missing external one a warning, network_mode services none", () => {
    const s = suite(
      [
        service("a", { image: "docker.io/library/a:1", networks: on("front", "ext") }),
        service("b", { image: "docker.io/library/a:1", networks: on("front", "back") }),
        service("c", { image: "docker.io/library/a:1", networkMode: "host", networks: on("side") }),
      ],
      { networks: [net("front"), net("back", { driver: "macvlan" }), net("side"), net("ext", { podmanName: "shared", external: true })] },
    );
    const plan = planStart(s, config, fresh);
    expect(renderPlan({ ...plan, pulls: [], containers: [] })).toEqual([
      "podman network create --driver bridge --label com.docker.compose.project=demo --label io.podman.compose.project=demo demo_front",
      "podman network create --driver macvlan --label com.docker.compose.project=demo --label io.podman.compose.project=demo demo_back",
    ]);
    expect(plan.warnings).toEqual(["network shared is external and does not exist: create it before start"]);
    expect(planStart(s, config, { ...fresh, networks: ["demo_front", "shared"] }).networks.map((n) => n.name)).toEqual(["demo_back"]);
  });

  it("secrets: a file secret's value comes from the file; one not declared at the top level is refused", () => {
    const s = suite([service("a", { image: "docker.io/library/a:1", secrets: [{ source: "key", target: "/run/secrets/key", type: "mount" }] })], { secrets: [{ name: "key", file: "/suite/key.txt" }] });
    const plan = planStart(s, config, { ...fresh, secretFiles: { key: "value-read-from-the-file" } });
    expect(plan.secrets.map((x) => [x.name, x.action, x.commands[0]!.env])).toEqual([["demo_key", "create", { MICROPOD_SECRET_VALUE: "value-read-from-the-file" }]]);
    const undeclared = suite([service("a", { image: "docker.io/library/a:1", secrets: [{ source: "nope", target: "NOPE", type: "env" }] })]);
    expect(() => planStart(undeclared, config, fresh)).toThrow(expect.objectContaining({ details: ["services/a/secrets: secret nope is not declared under the top-level secrets:"] }));
  });

  it("containers: a container micropod did not create is recreated, a created one started; a completion timeout; network_mode service:x is created when started", () => {
    const s = suite([
      service("db", { image: "docker.io/library/db:1" }),
      service("job", { image: "docker.io/library/db:1", extensions: { "completion-timeout": 90 } }),
      service("side", { image: "docker.io/library/db:1", networkMode: "service:db", dependsOn: [dep("job", "service_completed_successfully")] }),
    ]);
    const first = planStart(s, config, fresh);
    expect(first.containers.map((c) => [c.service, c.prepare.length, c.launch.map((l) => l.argv[1])])).toEqual([
      ["db", 1, ["start"]],
      ["job", 1, ["start"]],
      ["side", 0, ["create", "start"]],
    ]);
    expect(first.containers.map((c) => c.readiness.completionTimeoutMs)).toEqual([1_800_000, 90_000, 1_800_000]);
    const summary = (state: ContainerSummary["state"], labels: Record<string, string>): ContainerSummary => ({ id: "x", name: "", image: "", imageId: "", state, exitCode: 0, labels });
    const hash = (n: string) => first.containers.find((c) => c.service === n)!.configHash;
    const observed: ObservedState = { ...fresh, containers: { "demo-db": summary("running", {}), "demo-job": summary("created", { "micropod.config-hash": hash("job") }) } };
    expect(planStart(s, config, observed).containers.map((c) => [c.service, c.action, c.reason])).toEqual([
      ["db", "recreate", "not created by micropod"],
      ["job", "start", "created, unchanged"],
      ["side", "create", "no container"],
    ]);
  });

  it("images: a service naming a suite build without its registry runs that build (podman's localhost/), and is never pulled", () => {
    const s = suite([service("app", { build: build("app"), image: "localhost/demo/app" }), service("worker", { image: "demo/app" })]);
    const plan = planStart(s, config, fresh);
    expect(plan.pulls).toEqual([]);
    expect(plan.containers.map((c) => [c.service, c.build])).toEqual([
      ["app", "app"],
      ["worker", "app"],
    ]);
  });

  it("images: two builds FROM each other's image are refused with the cycle, not planned", () => {
    const s = suite([service("a", { build: build("a"), buildOnly: true }), service("b", { build: build("b"), buildOnly: true })]);
    const cyclic: ObservedState = {
      ...fresh,
      buildContexts: { a: { digest: "d-a", bases: ["localhost/demo/b:latest"], files: 1 }, b: { digest: "d-b", bases: ["localhost/demo/a:latest"], files: 1 } },
    };
    expect(() => planStart(s, config, cyclic)).toThrow(expect.objectContaining({ details: ["services/a/build: FROM cycle: a -> b -> a (each Containerfile builds FROM an image the next one builds)"] }));
  });
});

describe("planStop", () => {
  it("stops dependents first, with each grace period or the override", () => {
    const observed: ObservedState = {
      ...fresh,
      containers: Object.fromEntries(
        ["db", "migrate", "web", "proxy"].map((s) => [`demo-${s}`, { id: s, name: `demo-${s}`, image: "", imageId: "", state: s === "migrate" ? "exited" : "running", exitCode: 0, labels: {} }]),
      ),
    };
    const plan = planStop(demo, observed);
    expect(plan.steps.map((s) => [s.service, s.timeoutSec, s.after])).toEqual([
      ["proxy", 10, []],
      ["web", 10, ["proxy"]],
      ["db", 120, ["web"]],
    ]);
    expect(() => planStop(demo, observed, { services: ["nope"] })).toThrow(/no such service: nope/);
    expect(planStop(demo, observed, { services: ["web"], timeoutSec: 3 }).steps.map((s) => stopBatchCommand([s]).argv.join(" "))).toEqual(["podman stop --time 3 demo-proxy", "podman stop --time 3 demo-web"]);
  });
});
