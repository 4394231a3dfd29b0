import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join, resolve } from "node:path";
import { connect } from "node:tls";
import { parseEnvText } from "../../src/config/env-file.js";
import type { CertificateProxy } from "../../src/certs/proxy.js";
import { freePort } from "../support/free-port.js";
import { requireTool } from "../support/require-tool.js";
import { cleanUp, deferCleanup, once } from "../support/cleanup.js";
import { tempDir } from "../support/temp.js";

/**
 * A loopback ACME lab: Let's Encrypt's test CA (Debian's pebble) resolving every name to
 * 127.0.0.1 through pebble-challtestsrv's DNS, Debian's haproxy and nginx running the suite's
 * rendered haproxy and nginx-media configurations (only their listen and server addresses moved
 * to loopback ports), and a real Alertmanager. Pebble validates HTTP-01 for real: its httpPort is
 * haproxy's port 80 stand-in, so each challenge travels CA -> haproxy -> nginx-media -> file.
 * Every process is stopped and the directory removed by `stop()`, whatever happened before.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");

export interface Daemon {
  readonly proc: ChildProcess;
  readonly log: string;
  stop(): Promise<void>;
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  proc.kill("SIGTERM");
  const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5_000).unref())]);
  if (late) {
    proc.kill("SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }
}

function daemon(argv: string[], env: NodeJS.ProcessEnv, log: string): Daemon {
  const fd = openSync(log, "a");
  const proc = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  proc.on("error", () => undefined);
  return { proc, log, stop: () => stopProcess(proc) };
}

/** Poll `probe` until it is true, at most `ms`; the error names what was awaited and the log. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, ms = 15_000, log?: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${log ? `\n${readFileSync(log, "utf8").slice(-3000)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const httpOk = (url: string) => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok);

/** Replace `from` by `to`, which must occur exactly once: a changed config shape fails the test. */
function replaceOnce(text: string, from: string, to: string): string {
  const n = text.split(from).length - 1;
  if (n !== 1) throw new Error(`expected exactly one ${JSON.stringify(from)} in the rendered configuration, found ${n}`);
  return text.replace(from, to);
}

function run(argv: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", timeout: 30_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${out}`);
  return out;
}

/** The serial of the certificate haproxy presents for `servername`, trusting nothing (we only read it). */
export function servedSerial(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false, timeout: 3_000 }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on("timeout", () => s.destroy(new Error("TLS handshake timed out")));
    s.on("error", reject);
  });
}

export interface AcmeLab {
  readonly work: string;
  /** The .env the suite is loaded from (sample.env with loopback-safe edits). */
  readonly envFile: string;
  readonly dataDir: string;
  readonly directoryUrl: string;
  /** pebble's HTTPS certificate authority, for --ca-file. */
  readonly caFile: string;
  readonly ports: { readonly http: number; readonly https: number; readonly alertmanager: number };
  /** haproxy as a CertificateProxy: the image's steps (configure, haproxy -c, SIGUSR2 to the master) on loopback. */
  readonly proxy: CertificateProxy;
  readonly haproxyCfg: string;
  /** Where pebble-challtestsrv's DNS sends every name from now on. */
  setDnsAddress(ip: string): Promise<void>;
  stopPebble(): Promise<void>;
  stop(): Promise<void>;
}

export const DOMAIN = "example.org";
export const MEDIA = "media.example.org";

export async function startAcmeLab(): Promise<AcmeLab> {
  for (const [tool, pkg] of [
    ["pebble", "pebble"],
    ["pebble-challtestsrv", "pebble"],
    ["haproxy", "haproxy"],
    ["nginx", "nginx"],
    ["openssl", "openssl"],
    ["prometheus-alertmanager", "prometheus-alertmanager"],
  ] as const) {
    requireTool(tool, pkg);
  }
  const work = tempDir("micropod-acme-");
  // nginx's workers (www-data) read the challenge files under it.
  chmodSync(work, 0o755);
  const daemons: Daemon[] = [];
  const stop = once(async () => {
    await cleanUp(...[...daemons].reverse().map((d) => () => d.stop()), () => rmSync(work, { recursive: true, force: true }));
  });
  deferCleanup("the ACME lab", stop);
  try {
    return await setUp(work, daemons, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function setUp(work: string, daemons: Daemon[], stop: () => Promise<void>): Promise<AcmeLab> {
  const ports = {
    http: await freePort(),
    https: await freePort(),
    monitor: await freePort(),
    closed: await freePort(),
    nginx: await freePort(),
    pebble: await freePort(),
    pebbleMgmt: await freePort(),
    dns: await freePort(),
    dnsMgmt: await freePort(),
    alertmanager: await freePort(),
  };
  const path = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };

  // The suite's configuration: sample.env with the media host served here (S3 through
  // nginx-media), IPv4 only, DATA_DIR in the lab.
  const dataDir = join(work, "data");
  mkdirSync(dataDir, { mode: 0o755 });
  const overrides: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_DIR: join(work, "log"),
    IP6_ADDRESS: "",
    S3_ENABLED: "true",
    S3_BUCKET: "mastodon-media",
    S3_ENDPOINT: "https://s3.example.net",
    S3_ALIAS_HOST: MEDIA,
    S3_ACCESS_KEY_ID: "test-access-key",
    S3_SECRET_ACCESS_KEY: "test-secret-key",
    // The "S3 host" is a closed loopback port: nothing here ever leaves the machine.
    S3_IP_ADDRESS_1: "127.0.0.1",
    S3_READ_PORT_NUMBER: String(ports.closed),
  };
  const sampleText = readFileSync(join(repo, "sample.env"), "utf8");
  const keys = new Set(parseEnvText(sampleText, "sample.env").entries.map((e) => e.key));
  let envText = sampleText
    .split("\n")
    .map((line) => {
      const key = /^([A-Z0-9_]+)=/.exec(line)?.[1];
      return key && key in overrides ? `${key}=${overrides[key]}` : line;
    })
    .join("\n");
  for (const [k, v] of Object.entries(overrides)) if (!keys.has(k)) envText += `\n${k}=${v}\n`;
  const envFile = join(work, "micropod.env");
  writeFileSync(envFile, envText);
  const { loadConfig } = await import("../../src/config/load.js");
  const { loadSuite } = await import("../../src/suite/load.js");
  const config = await loadConfig(envFile);
  const suite = await loadSuite(join(containerfiles, "compose.yaml"), config.vars);
  const serviceEnv = (name: string) => ({ ...suite.services.get(name)!.environment });
  const bindSource = (service: string, target: string) => suite.services.get(service)!.volumes.find((v) => v.target === target)!.source!;
  const certDir = bindSource("haproxy", "/usr/local/etc/haproxy/certs");
  const challengeDir = bindSource("nginx-media", "/usr/local/www/acme-challenge");
  mkdirSync(challengeDir, { recursive: true, mode: 0o755 });

  // pebble's own HTTPS certificate, from a throwaway CA (the Debian package ships none).
  const tls = join(work, "pebble-tls");
  mkdirSync(tls);
  const caFile = join(tls, "ca.pem");
  run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=micropod test CA", "-days", "2", "-keyout", join(tls, "ca.key"), "-out", caFile, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], path);
  run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", join(tls, "key.pem"), "-out", join(tls, "req.csr")], path);
  writeFileSync(join(tls, "ext"), "subjectAltName=IP:127.0.0.1\n");
  run(["openssl", "x509", "-req", "-in", join(tls, "req.csr"), "-CA", caFile, "-CAkey", join(tls, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", join(tls, "ext"), "-out", join(tls, "cert.pem")], path);

  // DNS for pebble: every A query answers 127.0.0.1, no AAAA; no challenge servers of its own.
  daemons.push(
    daemon(
      ["pebble-challtestsrv", "-dns01", `127.0.0.1:${ports.dns}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${ports.dnsMgmt}`, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
      path,
      join(work, "challtestsrv.log"),
    ),
  );
  await waitUntil("pebble-challtestsrv", () => fetch(`http://127.0.0.1:${ports.dnsMgmt}/`, { signal: AbortSignal.timeout(1_000) }).then(() => true), 15_000, join(work, "challtestsrv.log"));

  writeFileSync(
    join(work, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${ports.pebble}`,
        managementListenAddress: `127.0.0.1:${ports.pebbleMgmt}`,
        certificate: join(tls, "cert.pem"),
        privateKey: join(tls, "key.pem"),
        // HTTP-01 validation goes to haproxy's port-80 stand-in.
        httpPort: ports.http,
        tlsPort: ports.closed,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const pebbleEnv: NodeJS.ProcessEnv = {
    ...path,
    // No artificial delay before validating; validate every order anew (no authorization reuse).
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_AUTHZREUSE: "0",
  };
  // PEBBLE_VA_ALWAYS_VALID is deliberately absent: every challenge is really fetched.
  const pebble = daemon(["pebble", "-config", join(work, "pebble.json"), "-dnsserver", `127.0.0.1:${ports.dns}`, "-strict=false"], pebbleEnv, join(work, "pebble.log"));
  daemons.push(pebble);
  const directoryUrl = `https://127.0.0.1:${ports.pebble}/dir`;

  // nginx-media, rendered by its configure script with the suite's environment.
  const nginxDir = join(work, "nginx-media");
  const configure = (image: string, env: Record<string, string>, dir: string) =>
    run(["sh", join(containerfiles, image, "configure.sh")], { ...path, ...env, MICROPOD_LIBEXEC: join(containerfiles, "base"), MICROPOD_TEMPLATES: join(containerfiles, image), MICROPOD_CONF_DIR: dir });
  mkdirSync(nginxDir);
  configure("nginx-media", { ...serviceEnv("nginx-media"), NGINX_USER: "www-data", NGINX_MEDIA_CACHE_DIR: join(nginxDir, "cache"), ACME_CHALLENGE_DIR: challengeDir }, nginxDir);
  let nginxConf = readFileSync(join(nginxDir, "nginx.conf"), "utf8");
  nginxConf = replaceOnce(nginxConf, "pid /var/run/nginx.pid;", `pid ${join(nginxDir, "nginx.pid")};`);
  nginxConf = replaceOnce(nginxConf, "        listen 80 default_server;\n", `        listen 127.0.0.1:${ports.nginx} default_server;\n`);
  nginxConf = replaceOnce(nginxConf, "        listen [::]:80 default_server;\n", "");
  writeFileSync(join(nginxDir, "nginx.conf"), nginxConf);
  copyFileSync("/etc/nginx/mime.types", join(nginxDir, "mime.types"));
  const nginx = daemon(["nginx", "-p", nginxDir, "-c", join(nginxDir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], path, join(work, "nginx.log"));
  daemons.push(nginx);
  await waitUntil("nginx-media", () => httpOk(`http://127.0.0.1:${ports.nginx}/micropod-health`), 15_000, nginx.log);

  // haproxy, rendered by its configure script with the certificates now in certDir.
  const haproxyDir = join(work, "haproxy");
  mkdirSync(haproxyDir);
  const haproxyCfg = join(haproxyDir, "haproxy.cfg");
  const renderHaproxy = () => {
    configure("haproxy", { ...serviceEnv("haproxy"), HAPROXY_USER: "www-data", HAPROXY_GROUP: "www-data", HAPROXY_CERT_DIR: certDir }, haproxyDir);
    let cfg = readFileSync(haproxyCfg, "utf8");
    cfg = replaceOnce(cfg, "    bind 0.0.0.0:80\n", `    bind 127.0.0.1:${ports.http}\n`);
    if (cfg.includes("    bind 0.0.0.0:443 ")) cfg = replaceOnce(cfg, "    bind 0.0.0.0:443 ", `    bind 127.0.0.1:${ports.https} `);
    cfg = replaceOnce(cfg, "    bind 127.0.0.1:8404\n", `    bind 127.0.0.1:${ports.monitor}\n`);
    // Each backend where compose.yaml puts it: its frontend address.
    const frontend = (service: string) => suite.services.get(service)!.networks.find((n) => n.name === "frontend")!.ipv4Address!;
    cfg = replaceOnce(cfg, `server varnish ${frontend("varnish")}:80 `, `server varnish 127.0.0.1:${ports.closed} `);
    cfg = replaceOnce(cfg, `server nginx-media ${frontend("nginx-media")}:80 `, `server nginx-media 127.0.0.1:${ports.nginx} `);
    if (/\b10\.89\./.test(cfg)) throw new Error("the rendered haproxy.cfg still names a suite address");
    writeFileSync(haproxyCfg, cfg);
    run(["haproxy", "-c", "-q", "-f", haproxyCfg], path);
  };
  renderHaproxy();
  // As the image runs it: master-worker, foreground.
  const haproxy = daemon(["haproxy", "-W", "-db", "-f", haproxyCfg], path, join(work, "haproxy.log"));
  daemons.push(haproxy);
  await waitUntil("haproxy", () => httpOk(`http://127.0.0.1:${ports.monitor}/micropod-health`), 15_000, haproxy.log);
  // haproxy has seen nginx-media up (its health check): the media host's route answers.
  await waitUntil("haproxy's nginx-media backend", async () => (await httpStatus(ports.http, "/micropod-health", MEDIA)) === 200, 30_000, haproxy.log);

  await waitUntil("pebble", () => httpsUp(ports.pebble, caFile), 30_000, pebble.log);

  const amDir = join(work, "alertmanager");
  mkdirSync(amDir);
  writeFileSync(join(amDir, "alertmanager.yml"), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
  const am = daemon(
    ["prometheus-alertmanager", `--config.file=${join(amDir, "alertmanager.yml")}`, `--storage.path=${join(amDir, "data")}`, `--web.listen-address=127.0.0.1:${ports.alertmanager}`, "--cluster.listen-address="],
    path,
    join(work, "alertmanager.log"),
  );
  daemons.push(am);
  await waitUntil("Alertmanager", () => httpOk(`http://127.0.0.1:${ports.alertmanager}/-/ready`), 15_000, am.log);

  const proxy: CertificateProxy = {
    running: async () => haproxy.proc.exitCode === null,
    reconfigure: async () => renderHaproxy(),
    reload: async () => void haproxy.proc.kill("SIGUSR2"),
  };

  return {
    work,
    envFile,
    dataDir,
    directoryUrl,
    caFile,
    ports: { http: ports.http, https: ports.https, alertmanager: ports.alertmanager },
    proxy,
    haproxyCfg,
    async setDnsAddress(ip) {
      const r = await fetch(`http://127.0.0.1:${ports.dnsMgmt}/set-default-ipv4`, { method: "POST", body: JSON.stringify({ ip }), signal: AbortSignal.timeout(5_000) });
      if (!r.ok) throw new Error(`pebble-challtestsrv refused set-default-ipv4: ${r.status}`);
    },
    stopPebble: () => pebble.stop(),
    stop,
  };
}

/** GET with a Host header of our choosing (fetch sets Host from the URL). */
function httpStatus(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

function httpsUp(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port, ca: readFileSync(ca, "utf8"), timeout: 1_000 }, () => {
      s.end();
      resolve(true);
    });
    s.on("error", () => resolve(false));
    s.on("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}
