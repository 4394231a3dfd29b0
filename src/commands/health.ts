import { resolve } from "node:path";
import type { Command as Program } from "commander";
import { ExitCode, LockError, MicropodError } from "../core/errors.js";
import { type CheckReport, runHealthCheck } from "../health/check.js";
import { loadHealthState } from "../health/health-state.js";
import { installHealth } from "../health/install.js";
import { type Every, parseEvery, scheduleChecks } from "../health/schedule.js";
import { healthSetup } from "../health/setup.js";
import { renderHealthStatus } from "../health/status.js";
import { checkBounds, thresholdsFrom } from "../health/thresholds.js";
import { SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT } from "../suite/sidekiq.js";
import { loadConfig } from "../config/load.js";
import type { Context } from "../core/context.js";
import { packageRoot, resolveComposeFile } from "../config/locations.js";
import { requireEnvFile, withSuiteOptions } from "./suite-loading.js";
import { certsRenewCronLine, scheduleRenewals } from "../certs/schedule.js";
import { certsRenewQuietly } from "./certs.js";
import type { Register } from "./index.js";

interface HealthOptions {
  env?: string;
  compose?: string;
  queues?: string;
  every?: string;
  rc?: boolean;
  force?: boolean;
  root?: string;
  program?: string;
}

const suiteOptions = (cmd: Program) =>
  withSuiteOptions(cmd).option(
    "--queues <spec>",
    'the seed\'s form instead of the compose file: "ingress:mastodon-sidekiq-ingress-1 pull:mastodon-sidekiq-pull" (also the QUEUES variable)',
  );

async function setupFor(ctx: Context, opts: HealthOptions, every: Every) {
  const queues = opts.queues ?? process.env.QUEUES;
  return healthSetup(ctx.logger, { envFile: requireEnvFile(opts), redactor: ctx.redactor, composeFile: resolveComposeFile(opts), ...(queues ? { queues } : {}), env: process.env, every });
}

function printReport(ctx: Context, r: CheckReport): void {
  for (const d of r.decisions) ctx.out(`${d.container}  ${r.verdicts.find((v) => v.container === d.container)?.status}  ${d.action}  ${d.message}`);
  for (const q of r.unserved) ctx.out(`queue ${q.queue}: ${q.size} jobs, nobody serves it`);
}

/**
 * One check. Its exit code says what happened: 0 checked, 7 skipped (the lock was held: not a
 * pass), 9 Redis could not be read, 11 the deadline passed, 130 interrupted.
 */
export async function healthCheck(ctx: Context, opts: HealthOptions): Promise<CheckReport> {
  const s = await setupFor(ctx, opts, parseEvery(opts.every ?? "2m"));
  let report: CheckReport;
  try {
    report = await runHealthCheck(ctx, s);
  } catch (err) {
    if (err instanceof MicropodError) throw err;
    throw new MicropodError(`health check failed: ${(err as Error).message}`, ExitCode.failure, [`Redis: ${s.redisWhere}`]);
  } finally {
    s.close();
  }
  if (report.skipped) throw new LockError(`health check skipped: ${report.skipped}`);
  return report;
}

export async function healthWatch(ctx: Context, opts: HealthOptions): Promise<void> {
  const every = parseEvery(opts.every ?? "2m");
  const s = await setupFor(ctx, opts, every);
  const once = async () => {
    try {
      printReport(ctx, await runHealthCheck(ctx, s));
    } catch (err) {
      // The check has logged what it did; this line is the verdict of the run.
      ctx.logger.error({ event: "health.check-failed", error: (err as Error).message, exitCode: err instanceof MicropodError ? err.exitCode : ExitCode.failure }, `health check failed: ${(err as Error).message}`);
    }
  };
  ctx.logger.info({ event: "health.watch", every: every.text, deadlineMs: s.thresholds.deadlineMs, containers: s.targets.map((t) => t.containerName) }, `watching ${s.targets.length} Sidekiq container(s) every ${every.text}`);
  await once();
  const watch = scheduleChecks(every, once, () =>
    ctx.logger.warn({ event: "health.overlap" }, "the previous check is still running: this one is skipped (checks never overlap)"),
  );
  // Certificate renewals ride on the same daemon, on their own twice-daily schedule.
  const renewals = scheduleRenewals(s.config.vars.DOMAIN!, () => certsRenewQuietly(ctx, opts));
  await new Promise<void>((done) => (ctx.signal.aborted ? done() : ctx.signal.addEventListener("abort", () => done(), { once: true })));
  await watch.stop();
  await renewals.stop();
  s.close();
  ctx.logger.info({ event: "health.watch-stopped" }, "health watch stopped");
}

export const registerHealth: Register = (program, context) => {
  const health = program.command("health").description("find wedged Sidekiq processes in Redis and restart their containers, with back-off");

  suiteOptions(health.command("check").description("run one check (for root's crontab)"))
    .option("--every <interval>", "the interval the check is scheduled at; its deadline must stay below it", "2m")
    .action(async (opts: HealthOptions) => {
      const ctx = context();
      printReport(ctx, await healthCheck(ctx, opts));
    });

  suiteOptions(health.command("watch").description("run checks on a schedule in this process (the rc.d service micropod_health runs this)"))
    .option("--every <interval>", "interval: 30s, 2m, 1h", "2m")
    .action(async (opts: HealthOptions) => healthWatch(context(), opts));

  health
    .command("install")
    .description("schedule the check: a system crontab in /usr/local/etc/cron.d, or with --rc the micropod_health rc.d service")
    .option("--env <file>", "the .env the check reads")
    .option("--rc", "install and enable the rc.d service (health watch) instead of a crontab")
    .option("--force", "with --rc: replace an rc.d/micropod_health micropod did not write (kept in /var/backups), as prepare-host --force does")
    .option("--every <interval>", "interval (cron: whole minutes)", "2m")
    .option("--root <dir>", "install under this root (tests, images)", "/")
    .option("--program <path>", "the micropod program the schedule runs", "/usr/local/bin/micropod")
    .action(async (opts: HealthOptions) => {
      const ctx = context();
      const env = requireEnvFile(opts);
      const config = await loadConfig(env);
      const every = parseEvery(opts.every ?? "2m");
      // The checks will refuse an interval their deadline does not fit in: say so now, not in the log.
      checkBounds(thresholdsFrom({ ...config.vars, ...process.env }), every, [{ containerName: `a Sidekiq container (-t ${SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT})`, shutdownTimeout: SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT }]);
      const done = await installHealth(ctx, {
        root: resolve(opts.root ?? "/"),
        mode: opts.rc ? "rc" : "cron",
        every,
        envFile: env,
        program: opts.program ?? "/usr/local/bin/micropod",
        rcSource: resolve(packageRoot, "rc.d", "micropod_health"),
        force: opts.force === true,
        certsRenewLine: certsRenewCronLine({ domain: config.vars.DOMAIN!, program: opts.program ?? "/usr/local/bin/micropod", envFile: env }),
      });
      for (const line of done) ctx.out(line);
    });

  health
    .command("status")
    .description("show the last verdicts, restarts and alerts")
    .option("--env <file>", "the .env file")
    .option("--json", "print the state file as JSON")
    .action(async (opts: HealthOptions & { json?: boolean }) => {
      const ctx = context();
      const config = await loadConfig(requireEnvFile(opts));
      const state = await loadHealthState(`${config.paths.state}/health.json`);
      ctx.out(opts.json ? JSON.stringify(state, null, 2) : renderHealthStatus(state, ctx.clock.now()));
    });
};
