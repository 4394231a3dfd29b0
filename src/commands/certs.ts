import { existsSync } from "node:fs";
import type { Command as Program } from "commander";
import { resolve } from "node:path";
import { type CertsRequest, obtainOrRenew } from "../certs/renew.js";
import { LETS_ENCRYPT_STAGING } from "../certs/acme.js";
import { certLayout } from "../certs/layout.js";
import { certificateNames } from "../certs/names.js";
import { PodmanProxy } from "../certs/proxy.js";
import { loadCertsState } from "../certs/state.js";
import { certificateStatus, renderCertStatus } from "../certs/status.js";
import type { Context } from "../core/context.js";
import { UsageError } from "../core/errors.js";
import { alertSink } from "../health/setup.js";
import type { SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";
import type { Register } from "./index.js";

interface CertsOptions extends SuiteOptions {
  staging?: boolean;
  directory?: string;
  caFile?: string;
  email?: string;
  force?: boolean;
  json?: boolean;
}

/** --directory / --staging / --ca-file as a request; bad values are refused before anything runs. */
export function certsRequest(mode: CertsRequest["mode"], o: CertsOptions): CertsRequest {
  if (o.staging && o.directory) throw new UsageError("--staging and --directory name two ACME directories: give one");
  const directoryUrl = o.staging ? LETS_ENCRYPT_STAGING : o.directory;
  if (directoryUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(directoryUrl);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== "https:") throw new UsageError(`--directory ${directoryUrl}: expected the https:// URL of an ACME directory (RFC 8555 section 7.1.1)`);
  }
  const caFile = o.caFile ? resolve(o.caFile) : undefined;
  if (caFile && !existsSync(caFile)) throw new UsageError(`--ca-file ${o.caFile}: no such file`);
  if (o.email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(o.email)) throw new UsageError(`--email ${o.email}: expected an e-mail address`);
  return { mode, force: o.force === true, ...(directoryUrl ? { directoryUrl } : {}), ...(caFile ? { caFile } : {}), ...(o.email ? { email: o.email } : {}) };
}

async function setup(ctx: Context, opts: CertsOptions) {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const names = certificateNames(config.vars);
  const layout = certLayout(suite, config.paths, config.vars.DOMAIN!);
  return { config, suite, names, layout };
}

/** `certs issue` / `certs renew`: the use case with the suite's haproxy and Alertmanager. */
export async function certsRun(ctx: Context, mode: CertsRequest["mode"], opts: CertsOptions) {
  const request = certsRequest(mode, opts);
  const { config, suite, names, layout } = await setup(ctx, opts);
  // The same Alertmanager and instance label as the health check's alerts (environment first).
  const alerts = alertSink((name) => process.env[name]?.trim() || config.vars[name]?.trim() || undefined);
  return obtainOrRenew(ctx, request, {
    layout,
    names,
    proxy: new PodmanProxy(ctx.runner, suite, layout.proxy),
    ...(alerts ? { alerts } : {}),
  });
}

/**
 * `certs renew` as `health watch` runs it: the outcome and any failure go to the log (renew has
 * logged why and alerted already); the watcher keeps running either way.
 */
export async function certsRenewQuietly(ctx: Context, opts: SuiteOptions): Promise<void> {
  try {
    await certsRun(ctx, "renew", { ...(opts.env ? { env: opts.env } : {}), ...(opts.compose ? { compose: opts.compose } : {}) });
  } catch (err) {
    ctx.logger.error({ event: "certs.renew-failed", error: (err as Error).message }, `certificate renewal: ${(err as Error).message}`);
  }
}

export const registerCerts: Register = (program, context) => {
  const certs = program.command("certs").description("TLS certificates for haproxy over ACME (HTTP-01): obtain, renew, show");
  const acmeOptions = (cmd: Program) =>
    withSuiteOptions(cmd)
      .option("--staging", "use Let's Encrypt's staging directory (certificates browsers do not trust; for trying things out)")
      .option("--directory <url>", "ACME directory URL (default: the one the certificate came from, else Let's Encrypt production)")
      .option("--ca-file <file>", "PEM file of extra CA certificates to trust for the ACME server's HTTPS (a private CA)")
      .option("--force", "order a new certificate even when the current one has 30 days or more left");

  acmeOptions(certs.command("issue").description("obtain a certificate for DOMAIN (and the media host served here), install it, reload haproxy"))
    .option("--email <address>", "contact address for the ACME account (optional)")
    .action(async (opts: CertsOptions) => {
      const ctx = context();
      ctx.out((await certsRun(ctx, "issue", opts)).message);
    });

  acmeOptions(certs.command("renew").description("renew when fewer than 30 days remain (what the schedule runs); does nothing before the first issue")).action(async (opts: CertsOptions) => {
    const ctx = context();
    ctx.out((await certsRun(ctx, "renew", opts)).message);
  });

  withSuiteOptions(certs.command("status").description("the certificate haproxy serves: names, days left, last renewal"))
    .option("--json", "as JSON")
    .action(async (opts: CertsOptions) => {
      const ctx = context();
      const { names, layout } = await setup(ctx, opts);
      const status = await certificateStatus(layout.certFile, names.names, ctx.clock.now(), await loadCertsState(layout.stateFile), names.notes);
      ctx.out(opts.json ? JSON.stringify(status, null, 2) : renderCertStatus(status));
    });
};
