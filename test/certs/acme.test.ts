import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { certLayout, type CertLayout } from "../../src/certs/layout.js";
import { certificateNames } from "../../src/certs/names.js";
import { daysLeft, readCertificateInfo } from "../../src/certs/pem.js";
import { type CertsDeps, obtainOrRenew } from "../../src/certs/renew.js";
import { loadCertsState } from "../../src/certs/state.js";
import { systemClock } from "../../src/core/clock.js";
import { MicropodError } from "../../src/core/errors.js";
import { acquireLock } from "../../src/core/lock.js";
import { createLogger } from "../../src/core/logger.js";
import { AlertmanagerSink } from "../../src/health/alertmanager.js";
import { loadSuite } from "../../src/suite/load.js";
import { runMicropod } from "../support/cli.js";
import { type AcmeLab, DOMAIN, MEDIA, servedSerial, startAcmeLab, waitUntil } from "./acme-lab.js";

/**
 * `certs issue` and `certs renew` against a real ACME server on loopback (pebble), validating
 * HTTP-01 for real through the suite's haproxy and nginx-media configurations, with haproxy
 * reloaded by SIGUSR2 as the image runs it, and a real Alertmanager for the expiry alert.
 */
let lab: AcmeLab;
let layout: CertLayout;
let deps: CertsDeps;
let logLines: string[] = [];
let clockOffsetMs = 0;
const ctx = () => {
  const sink = new PassThrough();
  sink.on("data", (b: Buffer) => logLines.push(...b.toString().split("\n").filter(Boolean)));
  return {
    logger: createLogger({ json: true, destination: sink }),
    clock: { now: () => Date.now() + clockOffsetMs, sleep: systemClock.sleep },
    signal: new AbortController().signal,
  };
};

beforeAll(async () => {
  lab = await startAcmeLab();
  const config = await loadConfig(lab.envFile);
  const suite = await loadSuite(resolve(import.meta.dirname, "../../containerfiles/compose.yaml"), config.vars);
  // The layout the bundled compose file gives, but haproxy's port 80 is on loopback here.
  layout = { ...certLayout(suite, config.paths, DOMAIN), selfCheck: { host: "127.0.0.1", port: lab.ports.http } };
  deps = {
    layout,
    names: certificateNames(config.vars),
    proxy: lab.proxy,
    alerts: new AlertmanagerSink(`127.0.0.1:${lab.ports.alertmanager}`, { instance: "micropod-acme-test" }),
    poll: { minMs: 200, maxMs: 1_000, attempts: 30 },
    requestRetries: 0,
    deadlineMs: 60_000,
  };
}, 120_000);

afterAll(async () => {
  await lab?.stop();
}, 60_000);

const request = () => ({ directoryUrl: lab.directoryUrl, caFile: lab.caFile });
const haproxyCheck = () => spawnSync("haproxy", ["-c", "-f", lab.haproxyCfg], { encoding: "utf8", timeout: 30_000 });
const mode = (path: string) => statSync(path).mode & 0o777;

async function certificateAlerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string> }>> {
  const r = await fetch(`http://127.0.0.1:${lab.ports.alertmanager}/api/v2/alerts?filter=alertname%3D%22CertificateRenewalFailed%22`, { signal: AbortSignal.timeout(5_000) });
  return (await r.json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
}

describe("certificates from a real ACME server through haproxy", () => {
  it("issue: obtains one certificate for DOMAIN and the media host over HTTP-01, stores it 0600, haproxy -c loads it and serves it after the reload", async () => {
    expect(deps.names.names).toEqual([DOMAIN, MEDIA]);
    await expect(servedSerial(lab.ports.https, DOMAIN)).rejects.toThrow(); // HTTP only so far

    const outcome = await obtainOrRenew(ctx(), { mode: "issue", ...request() }, deps);

    expect(outcome.action).toBe("ordered");
    const pem = readFileSync(layout.certFile, "utf8");
    const info = readCertificateInfo(pem);
    expect([...info.names].sort()).toEqual([DOMAIN, MEDIA]);
    expect(info.issuer).toContain("Pebble Intermediate CA");
    expect(pem).toMatch(/-----BEGIN PRIVATE KEY-----/);
    expect(mode(layout.certFile)).toBe(0o600);
    expect(mode(layout.accountKey)).toBe(0o600);
    // The CA fetched each token through haproxy, which sent it to nginx-media.
    const haproxyLog = readFileSync(join(lab.work, "haproxy.log"), "utf8");
    expect(haproxyLog.match(/nginx_media\/nginx-media .*"GET \/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+ HTTP\/1\.1"/g)?.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(layout.challengeDir)).toEqual([]);
    // The first certificate turned on the 443 listener: the rendered configuration loads.
    expect(readFileSync(lab.haproxyCfg, "utf8")).toContain(` ssl crt ${layout.certDir} alpn h2,http/1.1`);
    const check = haproxyCheck();
    expect(check.status, check.stdout + check.stderr).toBe(0);
    await waitUntil("haproxy serving the new certificate", async () => (await servedSerial(lab.ports.https, DOMAIN)) === info.serial);
    expect(await servedSerial(lab.ports.https, MEDIA)).toBe(info.serial);
    const state = await loadCertsState(layout.stateFile);
    expect(state).toMatchObject({ directoryUrl: lab.directoryUrl, caFile: lab.caFile, reloadPending: false, lastAttempt: { ok: true } });
  });

  it("renew leaves a certificate with 30 days or more alone", async () => {
    const before = readFileSync(layout.certFile, "utf8");
    const outcome = await obtainOrRenew(ctx(), { mode: "renew" }, deps);
    expect(outcome.action).toBe("kept");
    expect(outcome.message).toMatch(/^\d+ days left; renewal starts at 30$/);
    expect(readFileSync(layout.certFile, "utf8")).toBe(before);
  });

  it("a forced renew gets a new certificate from the same CA and account, and haproxy serves it", async () => {
    const before = readFileSync(layout.certFile, "utf8");
    const oldSerial = readCertificateInfo(before).serial;
    const key = readFileSync(layout.accountKey, "utf8");

    // No directory given: renew goes back to the one the certificate came from (the state file).
    const outcome = await obtainOrRenew(ctx(), { mode: "renew", force: true }, deps);

    expect(outcome.action).toBe("ordered");
    const info = readCertificateInfo(readFileSync(layout.certFile, "utf8"));
    expect(info.serial).not.toBe(oldSerial);
    expect(readFileSync(layout.previousFile, "utf8")).toBe(before);
    expect(mode(layout.previousFile)).toBe(0o600);
    expect(readFileSync(layout.accountKey, "utf8")).toBe(key);
    const check = haproxyCheck();
    expect(check.status, check.stdout + check.stderr).toBe(0);
    await waitUntil("haproxy serving the renewed certificate", async () => (await servedSerial(lab.ports.https, DOMAIN)) === info.serial);
  });

  it("with the suite locked by a start, the new certificate waits on disk and the next renew reloads haproxy", async () => {
    const served = readCertificateInfo(readFileSync(layout.certFile, "utf8")).serial;
    const start = await acquireLock(layout.suiteLock, { verb: "start" });
    let ordered: string;
    try {
      const outcome = await obtainOrRenew(ctx(), { mode: "renew", force: true }, { ...deps, lockWaitMs: 300 });
      expect(outcome.action).toBe("ordered");
      ordered = outcome.certificate!.serial;
      expect(ordered).not.toBe(served);
      expect(await loadCertsState(layout.stateFile)).toMatchObject({ reloadPending: true, lastAttempt: { ok: true } });
      expect(await servedSerial(lab.ports.https, DOMAIN)).toBe(served);
    } finally {
      await start.release();
    }
    const next = await obtainOrRenew(ctx(), { mode: "renew" }, deps);
    expect(next.action).toBe("reloaded");
    expect(await loadCertsState(layout.stateFile)).toMatchObject({ reloadPending: false });
    await waitUntil("haproxy serving the waiting certificate", async () => (await servedSerial(lab.ports.https, DOMAIN)) === ordered);
  });

  it("a due renewal the CA refuses keeps the old certificate, says why, and alerts with fewer than 14 days left", async () => {
    const before = readFileSync(layout.certFile, "utf8");
    const info = readCertificateInfo(before);
    // Ten days before expiry: renewal is due and the alert threshold is crossed.
    clockOffsetMs = info.notAfter.getTime() - 10.5 * 86_400_000 - Date.now();
    expect(daysLeft(info, Date.now() + clockOffsetMs)).toBe(10);
    // The CA now resolves both names to 127.0.0.2, where nothing listens: its validation fails,
    // while haproxy, asked directly, still serves the token (the self-check passes).
    await lab.setDnsAddress("127.0.0.2");
    logLines = [];
    try {
      const err = await obtainOrRenew(ctx(), { mode: "renew" }, deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MicropodError);
      expect((err as MicropodError).message).toMatch(/^certificate renew failed: .*127\.0\.0\.2/);
      expect((err as MicropodError).details).toEqual([`the certificate in place is kept (${info.names.join(", ")}, 10 days left)`]);
    } finally {
      await lab.setDnsAddress("127.0.0.1");
      clockOffsetMs = 0;
    }
    expect(readFileSync(layout.certFile, "utf8")).toBe(before);
    expect(await servedSerial(lab.ports.https, DOMAIN)).toBe(info.serial);
    expect(readdirSync(layout.challengeDir)).toEqual([]);
    const failure = logLines.map((l) => JSON.parse(l) as { event?: string; msg: string }).find((l) => l.event === "certs.failed");
    expect(failure?.msg).toMatch(/^certificate renew failed: .*127\.0\.0\.2.*; the certificate in place is kept/);
    const state = await loadCertsState(layout.stateFile);
    expect(state?.lastAttempt).toMatchObject({ ok: false, error: expect.stringContaining("127.0.0.2") });
    const alerts = await certificateAlerts();
    expect(alerts.map((a) => ({ labels: a.labels, summary: a.annotations.summary }))).toEqual([
      {
        labels: { alertname: "CertificateRenewalFailed", severity: "warning", instance: "micropod-acme-test", service: "micropod-health" },
        summary: `TLS certificate for ${info.names.join(", ")} expires in 10 days and could not be renewed`,
      },
    ]);
  });

  it("with the CA gone and 20 days left: the old certificate stays, the failure is logged, no alert yet", async () => {
    await lab.stopPebble();
    const before = readFileSync(layout.certFile, "utf8");
    const info = readCertificateInfo(before);
    clockOffsetMs = info.notAfter.getTime() - 20.5 * 86_400_000 - Date.now();
    logLines = [];
    try {
      await expect(obtainOrRenew(ctx(), { mode: "renew" }, deps)).rejects.toThrow(/^certificate renew failed: .*ECONNREFUSED/);
    } finally {
      clockOffsetMs = 0;
    }
    expect(readFileSync(layout.certFile, "utf8")).toBe(before);
    expect(logLines.some((l) => l.includes('"event":"certs.failed"') && l.includes('"daysLeft":20'))).toBe(true);
    expect(logLines.some((l) => l.includes('"event":"certs.alerted"'))).toBe(false);
    expect((await certificateAlerts()).map((a) => a.annotations.summary)).toEqual([
      `TLS certificate for ${info.names.join(", ")} expires in 10 days and could not be renewed`,
    ]);
  });

  it("micropod certs status shows the certificate, its days left and the last failure", () => {
    const r = runMicropod(["certs", "status", "--env", lab.envFile]);
    expect(r.code, r.stderr).toBe(0);
    const info = readCertificateInfo(readFileSync(layout.certFile, "utf8"));
    expect(r.stdout).toContain(`certificate  ${layout.certFile}\nnames        ${info.names.join(", ")}\n`);
    expect(r.stdout).toContain(`valid        ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}: ${daysLeft(info, Date.now())} days left (renewal under 30, alert under 14)\n`);
    expect(r.stdout).toContain(`directory    ${lab.directoryUrl} (trusting ${lab.caFile})\n`);
    expect(r.stdout).toMatch(/last run {5}\S+: failed: .*ECONNREFUSED/);
  });
});
