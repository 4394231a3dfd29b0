import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../../src/certs/account.js";
import { ChallengeWebroot, selfCheckChallenge } from "../../src/certs/challenge.js";
import { activateCertificate, writeCertificate } from "../../src/certs/install.js";
import type { CertLayout } from "../../src/certs/layout.js";
import { readCertificateInfo } from "../../src/certs/pem.js";
import type { CertificateProxy } from "../../src/certs/proxy.js";
import { obtainOrRenew } from "../../src/certs/renew.js";
import { certificateFinding, certificateStatus, renderCertStatus } from "../../src/certs/status.js";
import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/** The certificate files, account key and challenge files, on a temp directory with openssl-made certificates. */
let dir: string;
const DAY = 86_400_000;
const mode = (p: string) => statSync(p).mode & 0o777;

function selfSigned(name: string, days: number): { pem: string; cert: string; key: string } {
  const d = mkdtempSync(join(dir, "openssl-"));
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-days", String(days), "-keyout", join(d, "k.pem"), "-out", join(d, "c.pem")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const cert = readFileSync(join(d, "c.pem"), "utf8");
  const key = readFileSync(join(d, "k.pem"), "utf8");
  return { pem: `${cert}${key}`, cert, key };
}

beforeAll(() => {
  requireTool("openssl", "openssl");
  dir = tempDir("micropod-certfiles-");
});
describe("challenge files", () => {
  it("are written world-readable for nginx's workers and removed again", async () => {
    const w = new ChallengeWebroot(join(dir, "data", "acme-challenge"));
    await w.put("tok_en-1", "tok_en-1.thumb");
    expect(readFileSync(join(w.dir, "tok_en-1"), "utf8")).toBe("tok_en-1.thumb");
    expect(mode(join(w.dir, "tok_en-1"))).toBe(0o644);
    expect(mode(w.dir)).toBe(0o755);
    await w.remove("tok_en-1");
    expect(readdirSync(w.dir)).toEqual([]);
  });

  it("refuse a token that would name a path outside the directory", async () => {
    const w = new ChallengeWebroot(join(dir, "data", "acme-challenge"));
    await expect(w.put("../../private/x", "k")).rejects.toThrow('the CA sent a challenge token that is not base64url: "../../private/x"');
    expect(existsSync(join(dir, "data", "private", "x"))).toBe(false);
  });
});

describe("the self-check of a challenge", () => {
  it("passes when the token is served for the name, fails on a wrong answer, and only warns when nothing answers", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      if (req.headers.host === "example.org" && req.url === "/.well-known/acme-challenge/tok") res.end("tok.thumb\n");
      else res.writeHead(503).end("no server available");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const at = { host: "127.0.0.1", port };
      expect(await selfCheckChallenge(at, "example.org", "tok", "tok.thumb")).toEqual({ served: true });
      await expect(selfCheckChallenge(at, "media.example.org", "tok", "tok.thumb")).rejects.toThrow(
        `haproxy did not serve the challenge at http://127.0.0.1:${port}/.well-known/acme-challenge/tok (Host: media.example.org): HTTP 503 (is nginx-media running, with the challenge directory mounted?)`,
      );
      await expect(selfCheckChallenge(at, "example.org", "tok", "tok.other")).rejects.toThrow("HTTP 200 with another body");
      expect(seen).toEqual(["example.org /.well-known/acme-challenge/tok", "media.example.org /.well-known/acme-challenge/tok", "example.org /.well-known/acme-challenge/tok"]);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const closed = await selfCheckChallenge({ host: "127.0.0.1", port }, "example.org", "tok", "tok.thumb", 2_000);
    expect(closed).toEqual({ served: false, unreachable: expect.stringMatching(new RegExp(`^cannot reach haproxy at http://127\\.0\\.0\\.1:${port}/.*ECONNREFUSED`)) });
  });
});

describe("the account key", () => {
  it("is generated once, 0600 in a 0700 directory, and reused", async () => {
    const path = join(dir, "acct", "private", "acme-account.pem");
    const first = await accountKey(path);
    expect(first.created).toBe(true);
    expect(first.pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, "acct", "private"))).toBe(0o700);
    expect(mode(join(dir, "acct"))).toBe(0o755);
    const again = await accountKey(path);
    expect(again).toEqual({ pem: first.pem, created: false });
  });

  it("is tightened back to 0600, and a file that is no key is refused, not replaced", async () => {
    const path = join(dir, "acct2", "acme-account.pem");
    await accountKey(path);
    chmodSync(path, 0o644);
    await accountKey(path);
    expect(mode(path)).toBe(0o600);
    writeFileSync(path, "not a key\n");
    await expect(accountKey(path)).rejects.toThrow(`${path} is not a private key`);
    expect(readFileSync(path, "utf8")).toBe("not a key\n");
  });
});

describe("installing a certificate", () => {
  const paths = () => ({ certFile: join(dir, "inst", "certs", "example.org.pem"), previousFile: join(dir, "inst", "private", "certs-previous", "example.org.pem") });

  it("writes it 0600 and keeps the one it replaces outside haproxy's directory", async () => {
    const p = paths();
    const a = selfSigned("example.org", 60);
    const b = selfSigned("example.org", 60);
    await writeCertificate(p, a.pem);
    expect(mode(p.certFile)).toBe(0o600);
    expect(mode(join(dir, "inst", "certs"))).toBe(0o700);
    const { previous } = await writeCertificate(p, b.pem);
    expect(previous).toBe(a.pem);
    expect(readFileSync(p.previousFile, "utf8")).toBe(a.pem);
    expect(mode(p.previousFile)).toBe(0o600);
    expect(readdirSync(join(dir, "inst", "certs"))).toEqual(["example.org.pem"]);
  });

  it("refuses a key that is not the certificate's, and leaves the file in place alone", async () => {
    const p = paths();
    const before = readFileSync(p.certFile, "utf8");
    const a = selfSigned("example.org", 60);
    const other = selfSigned("example.org", 60);
    await expect(writeCertificate(p, `${a.cert}${other.key}`)).rejects.toThrow("the private key does not belong to the certificate");
    await expect(writeCertificate(p, a.cert)).rejects.toThrow("the PEM holds no private key");
    expect(readFileSync(p.certFile, "utf8")).toBe(before);
  });

  it("puts the previous certificate back and renders again when haproxy's check fails", async () => {
    const p = paths();
    const old = readFileSync(p.certFile, "utf8");
    const { previous } = await writeCertificate(p, selfSigned("example.org", 60).pem);
    const seen: string[] = [];
    const proxy: CertificateProxy = {
      running: async () => true,
      reconfigure: async () => {
        seen.push(readFileSync(p.certFile, "utf8"));
        if (seen.length === 1) throw new Error("haproxy -c: unable to load certificate");
      },
      reload: async () => void seen.push("reload"),
    };
    await expect(activateCertificate(p, previous, proxy)).rejects.toThrow("haproxy refused the new certificate, the previous state is restored: haproxy -c: unable to load certificate");
    expect(readFileSync(p.certFile, "utf8")).toBe(old);
    expect(seen.slice(1)).toEqual([old]); // rendered again from the restored file, never reloaded
  });
});

describe("renew, status and doctor on a certificate micropod did not issue", () => {
  const layout = (): CertLayout => ({
    proxy: { service: "haproxy", container: "mastodon-haproxy" },
    certDir: join(dir, "own", "certs"),
    certFile: join(dir, "own", "certs", "example.org.pem"),
    challengeDir: join(dir, "own", "acme-challenge"),
    accountKey: join(dir, "own", "private", "acme-account.pem"),
    previousFile: join(dir, "own", "private", "certs-previous", "example.org.pem"),
    stateFile: join(dir, "own", "state", "certs.json"),
    certsLock: join(dir, "own", "state", "certs.lock"),
    suiteLock: join(dir, "own", "state", "micropod.lock"),
  });

  it("renew leaves an administrator's certificate alone, even when it is about to expire", async () => {
    const l = layout();
    mkdirSync(l.certDir, { recursive: true });
    const own = selfSigned("example.org", 5);
    writeFileSync(l.certFile, own.pem);
    const untouchable: CertificateProxy = {
      running: () => Promise.reject(new Error("must not be called")),
      reconfigure: () => Promise.reject(new Error("must not be called")),
      reload: () => Promise.reject(new Error("must not be called")),
    };
    const ctx = { logger: createLogger({ json: true, level: "silent" }), clock: systemClock, signal: new AbortController().signal };
    const outcome = await obtainOrRenew(ctx, { mode: "renew" }, { layout: l, names: { names: ["example.org"], notes: [] }, proxy: untouchable });
    expect(outcome).toEqual({ action: "kept", message: `micropod does not manage the certificates yet (no ${l.stateFile}): \`micropod certs issue\` starts` });
    expect(readFileSync(l.certFile, "utf8")).toBe(own.pem);
    expect(existsSync(l.accountKey)).toBe(false);
    expect(existsSync(l.certsLock)).toBe(false);
  });

  it("doctor's finding: the certificate expiring first; ok from 30 days, warn below, fix below 14 or for a file haproxy cannot load", async () => {
    const certs = join(dir, "doctor");
    mkdirSync(certs);
    expect(await certificateFinding(certs, Date.now())).toEqual({ level: "warn", subject: "certificate", message: `no certificate in ${certs}: haproxy serves HTTP only`, fix: "micropod certs issue" });
    const file = join(certs, "example.org.pem");
    writeFileSync(file, selfSigned("example.org", 90).pem);
    writeFileSync(join(certs, "admin.example.net.pem"), selfSigned("admin.example.net", 200).pem);
    writeFileSync(join(certs, ".example.org.pem.1a2b.tmp"), "half a file"); // haproxy ignores dot files; so does doctor
    const notAfter = readCertificateInfo(readFileSync(file, "utf8")).notAfter;
    const at = (days: number) => notAfter.getTime() - days * DAY - DAY / 2;
    const until = notAfter.toISOString();
    expect(await certificateFinding(certs, at(30))).toEqual({ level: "ok", subject: "certificate", message: `example.org (${file}): 30 days left, until ${until}` });
    expect(await certificateFinding(certs, at(29))).toEqual({ level: "warn", subject: "certificate", message: `example.org (${file}): 29 days left, until ${until}; renewal is due`, fix: "micropod certs renew" });
    expect(await certificateFinding(certs, at(13))).toMatchObject({ level: "fix", message: `example.org (${file}): 13 days left, until ${until}; renewal has not succeeded`, fix: "micropod certs renew (then micropod certs status for the error)" });
    expect(await certificateFinding(certs, notAfter.getTime() + 2 * DAY + 1)).toMatchObject({ level: "fix", message: `example.org (${file}): expired 3 days ago, until ${until}; renewal has not succeeded` });
    writeFileSync(join(certs, "notes.txt"), "garbage\n");
    expect(await certificateFinding(certs, Date.now())).toMatchObject({ level: "fix", message: `${join(certs, "notes.txt")} holds no readable certificate (no certificate in the PEM); haproxy loads every file there` });
  });

  it("status names the certificate, what it lacks, and the other files haproxy also serves", async () => {
    const l = layout();
    writeFileSync(join(l.certDir, "admin.pem"), selfSigned("other.example.org", 60).pem);
    const s = await certificateStatus(l.certFile, ["example.org", "media.example.org"], Date.now(), undefined, ["a note"]);
    const text = renderCertStatus(s);
    expect(text).toContain(`names        example.org  (wanted: example.org, media.example.org; \`micropod certs issue\` orders them)\n`);
    expect(text).toContain(`also served  ${join(l.certDir, "admin.pem")} (haproxy loads every file in the directory)\nnote         a note`);
  });
});
