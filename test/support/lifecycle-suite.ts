import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "./cli.js";

/**
 * A small suite for the CLI lifecycle test, written into `dir`: images built FROM the sandbox's
 * busybox; db (healthchecked) → migrate (one-shot) → web (an env secret), and the .env beside it
 * (sample.env with DATA_DIR and LOG_DIR inside `dir`). `side` adds a service on db's image that
 * waits on nothing and nothing waits on: a branch off the chain.
 */
export function writeLifecycleSuite(dir: string, project: string, opts: { healthTest?: string; readyAfterSec?: number; side?: boolean } = {}): { compose: string; env: string } {
  const ctx = (name: string, extra: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, "Containerfile"), `FROM localhost/busybox:test\n${extra}`);
  };
  ctx("db", `RUN echo ${project} > /marker\n`);
  ctx("web", "RUN echo web > /app\n");
  const health = opts.healthTest ?? "test -f /tmp/ready";
  const compose = join(dir, "compose.yaml");
  writeFileSync(
    compose,
    `name: ${project}
services:
  db:
    build: ./db
    image: localhost/${project}/db
    network_mode: none
    command: ["sh", "-c", "echo db booting; sleep ${opts.readyAfterSec ?? 1}; touch /tmp/ready; echo db ready; exec sleep 1000"]
    stop_grace_period: 2s
    healthcheck:
      test: ${JSON.stringify(health)}
      interval: 300ms
      timeout: 2s
      retries: 4${opts.readyAfterSec ? `\n      start_period: ${opts.readyAfterSec + 20}s` : ""}
  migrate:
    image: localhost/${project}/db
    network_mode: none
    restart: "no"
    command: ["sh", "-c", "echo migrating; echo migrated"]
    depends_on:
      db: { condition: service_healthy }
  web:
    build: ./web
    image: localhost/${project}/web
    network_mode: none
    command: ["sh", "-c", "echo web listening on $$DOMAIN; exec sleep 1000"]
    environment:
      DOMAIN: \${DOMAIN}
    secrets:
      - { source: db_pass, target: DB_PASS }
    x-micropod:
      secret-type: env
    stop_grace_period: 1s
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
${
  opts.side
    ? `  side:
    image: localhost/${project}/db
    network_mode: none
    command: ["sh", "-c", "exec sleep 1000"]
    stop_grace_period: 1s
`
    : ""
}secrets:
  db_pass: { environment: DB_PASS }
`,
  );
  let text = readFileSync(resolve(repoRoot, "sample.env"), "utf8");
  for (const [k, v] of Object.entries({ DATA_DIR: join(dir, "data"), LOG_DIR: join(dir, "log") })) text = text.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=${v}`);
  const env = join(dir, "micropod.env");
  writeFileSync(env, text);
  return { compose, env };
}
