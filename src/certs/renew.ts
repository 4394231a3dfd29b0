import type { Context } from "../core/context.js";
import { withDeadline } from "../core/deadline.js";
import { ExitCode, LockError, MicropodError } from "../core/errors.js";
import { acquireLock, withLock } from "../core/lock.js";
import { readIfExists } from "../host/files.js";
import type { AlertSink } from "../health/alertmanager.js";
import { accountKey } from "./account.js";
import { acmeErrorMessage, type Http01Solver, LETS_ENCRYPT, orderCertificate, type OrderOptions } from "./acme.js";
import { ChallengeWebroot, selfCheckChallenge } from "./challenge.js";
import { ALERT_BELOW_DAYS, decideRenewal } from "./decide.js";
import { activateCertificate, writeCertificate } from "./install.js";
import type { CertLayout } from "./layout.js";
import type { CertificateNames } from "./names.js";
import { type CertificateInfo, daysLeft, readCertificateInfo } from "./pem.js";
import type { CertificateProxy } from "./proxy.js";
import { type CertsState, loadCertsState, saveCertsState } from "./state.js";

export interface CertsRequest {
  readonly mode: "issue" | "renew";
  readonly force?: boolean;
  /** From --directory / --staging; else the one the certificate came from; else Let's Encrypt. */
  readonly directoryUrl?: string;
  readonly caFile?: string;
  readonly email?: string;
}

export interface CertsDeps {
  readonly layout: CertLayout;
  readonly names: CertificateNames;
  readonly proxy: CertificateProxy;
  /** Alertmanager (MONITORHOST), when configured. */
  readonly alerts?: AlertSink;
  /** The whole ACME exchange, challenges included. */
  readonly deadlineMs?: number;
  readonly poll?: OrderOptions["poll"];
  readonly requestRetries?: number;
  /** How long the reload waits for the suite's lock (a start under way) before deferring. */
  readonly lockWaitMs?: number;
}

export interface CertsOutcome {
  readonly action: "ordered" | "kept" | "reloaded";
  readonly message: string;
  readonly certificate?: CertificateInfo;
}

type Ctx = Pick<Context, "logger" | "clock" | "signal">;

/**
 * `certs issue` and `certs renew`: decide, order over HTTP-01, install 0600, reconfigure and
 * reload haproxy. Two runs never order at once (their own lock); the reload holds the suite's
 * lock, so it never lands in the middle of a start. Any failure leaves the certificate in
 * place, is recorded in the state file and logged, and alerts when fewer than 14 days remain.
 */
export async function obtainOrRenew(ctx: Ctx, req: CertsRequest, deps: CertsDeps): Promise<CertsOutcome> {
  const { layout } = deps;
  const lock = await acquireLock(layout.certsLock, { verb: `certs ${req.mode}` }).catch((err: unknown) => {
    throw err instanceof LockError ? new LockError(`another micropod certs run is under way (${err.message})`) : err;
  });
  try {
    const state = await loadCertsState(layout.stateFile);
    if (req.mode === "renew" && !state) {
      // A certificate put there by hand is the administrator's to renew: never replace it from cron.
      const reason = `micropod does not manage the certificates yet (no ${layout.stateFile}): \`micropod certs issue\` starts`;
      ctx.logger.info({ event: "certs.unmanaged" }, reason);
      return { action: "kept", message: reason };
    }
    const current = await currentCertificate(layout.certFile, ctx);
    const decision = decideRenewal(req.mode, current, deps.names.names, ctx.clock.now(), req.force === true);
    for (const note of deps.names.notes) ctx.logger.warn({ event: "certs.names" }, note);
    if (!decision.order) {
      if (state?.reloadPending) return await reloadPending(ctx, deps, state, current);
      ctx.logger.info({ event: "certs.kept", names: current?.names, reason: decision.reason }, `certificate kept: ${decision.reason}`);
      return { action: "kept", message: decision.reason, ...(current ? { certificate: current } : {}) };
    }
    const chosen: CertsState = {
      directoryUrl: req.directoryUrl ?? state?.directoryUrl ?? LETS_ENCRYPT,
      ...((req.caFile ?? state?.caFile) ? { caFile: req.caFile ?? state?.caFile } : {}),
      ...((req.email ?? state?.email) ? { email: req.email ?? state?.email } : {}),
    };
    ctx.logger.info({ event: "certs.order", names: deps.names.names, directory: chosen.directoryUrl, reason: decision.reason }, `ordering a certificate for ${deps.names.names.join(", ")} from ${chosen.directoryUrl}: ${decision.reason}`);
    try {
      const info = await orderAndInstall(ctx, deps, chosen);
      const message = `certificate for ${info.names.join(", ")} valid until ${info.notAfter.toISOString()} (serial ${info.serial})`;
      ctx.logger.info({ event: "certs.ordered", names: info.names, notAfter: info.notAfter.toISOString(), serial: info.serial }, message);
      return { action: "ordered", message, certificate: info };
    } catch (err) {
      // Read again: a certificate written but not reloaded has set reloadPending since.
      const latest = (await loadCertsState(layout.stateFile)) ?? state;
      await saveCertsState(layout.stateFile, { ...latest, ...chosen, lastAttempt: { at: new Date(ctx.clock.now()).toISOString(), ok: false, error: errorText(err) } });
      throw await failed(ctx, deps, req.mode, current, err);
    }
  } finally {
    await lock.release();
  }
}

async function currentCertificate(file: string, ctx: Ctx): Promise<CertificateInfo | undefined> {
  const pem = await readIfExists(file);
  if (pem === undefined) return undefined;
  try {
    return readCertificateInfo(pem);
  } catch (err) {
    ctx.logger.warn({ event: "certs.unreadable", file }, `${file} holds no readable certificate (${(err as Error).message}): ordering a new one`);
    return undefined;
  }
}

async function orderAndInstall(ctx: Ctx, deps: CertsDeps, chosen: CertsState): Promise<CertificateInfo> {
  const { layout } = deps;
  const key = await accountKey(layout.accountKey);
  if (key.created) ctx.logger.info({ event: "certs.account-key", path: layout.accountKey }, `generated the ACME account key ${layout.accountKey} (mode 0600)`);
  const webroot = new ChallengeWebroot(layout.challengeDir);
  const written = new Set<string>();
  let abandoned = false;
  const solver: Http01Solver = {
    async present(name, token, keyAuthorization) {
      // An order abandoned at its deadline may still reach here later: write nothing then.
      if (abandoned) throw new Error("the order was abandoned");
      written.add(token);
      await webroot.put(token, keyAuthorization);
      if (!layout.selfCheck) return;
      const check = await selfCheckChallenge(layout.selfCheck, name, token, keyAuthorization);
      if (!check.served) ctx.logger.warn({ event: "certs.self-check-skipped" }, `${check.unreachable}; letting the CA check ${name} itself`);
    },
    async cleanUp(token) {
      written.delete(token);
      await webroot.remove(token);
    },
  };
  let issued;
  try {
    issued = await withDeadline(
      orderCertificate({
        directoryUrl: chosen.directoryUrl,
        accountKeyPem: key.pem,
        names: deps.names.names,
        solver,
        ...(chosen.caFile ? { caFile: chosen.caFile } : {}),
        ...(chosen.email ? { email: chosen.email } : {}),
        ...(deps.poll ? { poll: deps.poll } : {}),
        ...(deps.requestRetries !== undefined ? { requestRetries: deps.requestRetries } : {}),
      }),
      deps.deadlineMs ?? 5 * 60_000,
      `the ACME order at ${chosen.directoryUrl}`,
      ctx.signal,
    );
  } finally {
    // An order abandoned at its deadline leaves its tokens behind: remove them here.
    abandoned = true;
    for (const token of written) await webroot.remove(token);
  }
  const { info, previous } = await writeCertificate(layout, issued.pem);
  await saveCertsState(layout.stateFile, { ...chosen, lastAttempt: { at: new Date(ctx.clock.now()).toISOString(), ok: true }, reloadPending: true });
  await activate(ctx, deps, chosen, previous);
  return info;
}

/** Reconfigure and reload under the suite's lock; a busy lock defers the reload to the next run. */
async function activate(ctx: Ctx, deps: CertsDeps, state: CertsState, previous: string | undefined): Promise<void> {
  const { layout, proxy } = deps;
  try {
    await withLock(layout.suiteLock, { verb: "certs reload", waitMs: deps.lockWaitMs ?? 60_000, signal: ctx.signal }, async () => {
      if (!(await proxy.running())) {
        ctx.logger.info({ event: "certs.proxy-stopped", container: layout.proxy.container }, `${layout.proxy.container} is not running: it loads the certificate when it starts`);
        return;
      }
      await activateCertificate(layout, previous, proxy);
      ctx.logger.info({ event: "certs.reloaded", container: layout.proxy.container }, `${layout.proxy.container} reloaded with the new certificate`);
    });
    await saveCertsState(layout.stateFile, { ...((await loadCertsState(layout.stateFile)) ?? state), reloadPending: false });
  } catch (err) {
    if (!(err instanceof LockError)) throw err;
    ctx.logger.warn({ event: "certs.reload-deferred" }, `${err.message}: the certificate is on disk, the next \`micropod certs renew\` reloads ${layout.proxy.container}`);
  }
}

async function reloadPending(ctx: Ctx, deps: CertsDeps, state: CertsState, current: CertificateInfo | undefined): Promise<CertsOutcome> {
  const previous = await readIfExists(deps.layout.previousFile);
  await activate(ctx, deps, state, previous);
  return { action: "reloaded", message: `${deps.layout.proxy.container} reloaded with the certificate on disk`, ...(current ? { certificate: current } : {}) };
}

function errorText(err: unknown): string {
  const details = err instanceof MicropodError && err.details.length ? ` (${err.details.join("; ")})` : "";
  return `${acmeErrorMessage(err)}${details}`;
}

/** Log why, alert under 14 days, and the error the verb exits with. */
async function failed(ctx: Ctx, deps: CertsDeps, mode: string, current: CertificateInfo | undefined, err: unknown): Promise<MicropodError> {
  if (err instanceof MicropodError && err.exitCode === ExitCode.interrupted) return err;
  const why = errorText(err);
  const days = current ? daysLeft(current, ctx.clock.now()) : undefined;
  const kept = current ? `the certificate in place is kept (${current.names.join(", ")}, ${days} days left)` : "no certificate is in place: haproxy serves HTTP only";
  ctx.logger.error({ event: "certs.failed", mode, error: why, daysLeft: days }, `certificate ${mode} failed: ${why}; ${kept}`);
  if (deps.alerts && days !== undefined && days < ALERT_BELOW_DAYS) {
    const names = current!.names.join(", ");
    try {
      await deps.alerts.send([
        {
          name: "CertificateRenewalFailed",
          severity: days < 3 ? "critical" : "warning",
          summary: `TLS certificate for ${names} expires in ${days} days and could not be renewed`,
          description: `micropod certs ${mode} failed: ${why}. The certificate in place expires ${current!.notAfter.toISOString()}.`,
        },
      ]);
      ctx.logger.warn({ event: "certs.alerted", daysLeft: days }, `alert sent: the certificate expires in ${days} days`);
    } catch (alertErr) {
      ctx.logger.error({ event: "certs.alert-failed", error: (alertErr as Error).message }, `could not send the alert: ${(alertErr as Error).message}`);
    }
  }
  return new MicropodError(`certificate ${mode} failed: ${why}`, ExitCode.failure, [kept]);
}
