import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { subnetsOverlap } from "../../src/ops/adopt/networks.js";
import { loadSuite } from "../../src/suite/load.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * The configs nginx, nginx-media, varnish and haproxy render at start, checked by the real
 * daemons (Debian's nginx -t, varnishd -C, haproxy -c). Each configure script runs with exactly
 * the environment compose.yaml gives its service (loaded with the bundled sample.env and
 * variants), plus the knobs that move files into a temp dir and name Debian's users.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");

const sample = Object.fromEntries(
  parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]),
);

const variants: Record<string, Record<string, string>> = {
  "sample.env": {},
  "IPv4 only": { IP6_ADDRESS: "" },
  "IPv6 only": { IP4_ADDRESS: "" },
  "proxy, S3 and TLS": {
    PROXY_IP_V4: "198.51.100.7",
    PROXY_IP_V6: "[2001:db8:1::7]",
    S3_ENABLED: "true",
    S3_BUCKET: "mastodon-media",
    S3_HOSTNAME: "s3.example.net",
    S3_ALIAS_HOST: "media.example.org",
    S3_IP_ADDRESS_1: "203.0.113.20",
    S3_READ_PORT_NUMBER: "3902",
    S3_WRITE_PORT_NUMBER: "3900",
  },
};

let work: string;
let certDir: string;

beforeAll(() => {
  requireTool("nginx", "nginx");
  requireTool("varnishd", "varnish");
  requireTool("haproxy", "haproxy");
  requireTool("openssl", "openssl");
  work = tempDir("micropod-configs-");
  // varnishd compiles the VCL as its unprivileged user, which must be able to read it.
  chmodSync(work, 0o755);
  certDir = join(work, "certs");
  mkdirSync(certDir);
  const key = join(work, "key.pem");
  const crt = join(work, "crt.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=example.org", "-days", "2", "-keyout", key, "-out", crt], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  writeFileSync(join(certDir, "example.org.pem"), readFileSync(crt, "utf8") + readFileSync(key, "utf8"));
});

async function serviceEnv(service: string, overrides: Record<string, string>): Promise<Record<string, string>> {
  const vars = { ...sample, ...overrides };
  const suite = await loadSuite(join(containerfiles, "compose.yaml"), vars);
  const svc = suite.services.get(service);
  if (!svc) throw new Error(`compose.yaml has no service ${service}`);
  return { ...svc.environment };
}

interface Run {
  status: number | null;
  out: string;
}

function sh(argv: string[], env: Record<string, string>): Run {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * nginx opens /dev/stdout (the access log), which fails on the socket Node gives a child as
 * stdout; in a container it is a pipe or a file. Here: a file.
 */
function shWithFileStdout(argv: string[], env: Record<string, string>, dir: string): Run {
  const outFile = join(dir, "check.out");
  const fd = openSync(outFile, "w");
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", stdio: ["ignore", fd, "pipe"] });
    return { status: r.status, out: `${readFileSync(outFile, "utf8")}${r.stderr ?? ""}` };
  } finally {
    closeSync(fd);
  }
}

/** Run an image's configure script the way its entrypoint does, into a fresh directory. */
function configure(image: string, env: Record<string, string>, dir: string): Run {
  mkdirSync(dir, { recursive: true });
  return sh(["sh", join(containerfiles, image, "configure.sh")], {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...env,
    MICROPOD_LIBEXEC: join(containerfiles, "base"),
    MICROPOD_TEMPLATES: join(containerfiles, image),
    MICROPOD_CONF_DIR: dir,
  });
}

const debianNginx = { NGINX_USER: "www-data" };

function nginxCheck(dir: string): Run {
  copyFileSync("/etc/nginx/mime.types", join(dir, "mime.types"));
  return shWithFileStdout(["nginx", "-t", "-q", "-e", "stderr", "-p", dir, "-c", join(dir, "nginx.conf")], { PATH: process.env.PATH ?? "" }, dir);
}

for (const [variant, overrides] of Object.entries(variants)) {
  describe(`service configs with ${variant}`, () => {
    const dir = (image: string) => join(work, variant.replace(/[^a-z0-9]+/gi, "-"), image);

    it("nginx: passes nginx -t", async () => {
      const env = await serviceEnv("nginx", overrides);
      const c = configure("nginx", { ...env, ...debianNginx }, dir("nginx"));
      expect(c.status, c.out).toBe(0);
      const t = nginxCheck(dir("nginx"));
      expect(t.status, t.out).toBe(0);
    });

    it("nginx-media: passes nginx -t", async () => {
      const env = await serviceEnv("nginx-media", overrides);
      const c = configure("nginx-media", { ...env, ...debianNginx, NGINX_MEDIA_CACHE_DIR: join(dir("nginx-media"), "cache") }, dir("nginx-media"));
      expect(c.status, c.out).toBe(0);
      const t = nginxCheck(dir("nginx-media"));
      expect(t.status, t.out).toBe(0);
    });

    it("varnish: the VCL compiles with varnishd -C", async () => {
      const env = await serviceEnv("varnish", overrides);
      const c = configure("varnish", env, dir("varnish"));
      expect(c.status, c.out).toBe(0);
      const t = sh(["varnishd", "-C", "-f", join(dir("varnish"), "default.vcl"), "-n", join(dir("varnish"), "work")], { PATH: process.env.PATH ?? "" });
      expect(t.status, t.out.slice(-2000)).toBe(0);
      expect(t.out).toContain("VGC_function_vcl_recv");
    });

    it("haproxy: passes haproxy -c without warnings", async () => {
      const env = await serviceEnv("haproxy", overrides);
      const tls = variant === "proxy, S3 and TLS";
      const c = configure(
        "haproxy",
        { ...env, HAPROXY_USER: "www-data", HAPROXY_GROUP: "www-data", HAPROXY_CERT_DIR: tls ? certDir : join(work, "no-certs") },
        dir("haproxy"),
      );
      expect(c.status, c.out).toBe(0);
      const t = sh(["haproxy", "-c", "-f", join(dir("haproxy"), "haproxy.cfg")], { PATH: process.env.PATH ?? "" });
      expect(t.status, t.out).toBe(0);
      expect(t.out).not.toContain("WARNING");
    });
  });
}

describe("what the configs say", () => {
  const read = (path: string) => readFileSync(path, "utf8");
  const section = (text: string, from: string, to: string) => text.slice(text.indexOf(from), text.indexOf(to));

  it("haproxy binds only the families the host publishes, TLS only with a certificate", async () => {
    const frontends: Record<string, string> = {};
    for (const [variant, overrides] of Object.entries<Record<string, string>>({ v4: { IP6_ADDRESS: "" }, v6: { IP4_ADDRESS: "" }, both: {} })) {
      const d = join(work, "binds", variant);
      const c = configure("haproxy", { ...(await serviceEnv("haproxy", overrides)), HAPROXY_USER: "www-data", HAPROXY_GROUP: "www-data", HAPROXY_CERT_DIR: certDir }, d);
      expect(c.status, c.out).toBe(0);
      const cfg = read(join(d, "haproxy.cfg"));
      frontends[variant] = section(cfg, "frontend public", "\nbackend varnish").split("\n").filter((l) => l.startsWith("    bind ")).join("\n");
    }
    expect(frontends).toEqual({
      v4: `    bind 0.0.0.0:80\n    bind 0.0.0.0:443 ssl crt ${certDir} alpn h2,http/1.1`,
      v6: `    bind [::]:80 v6only\n    bind [::]:443 v6only ssl crt ${certDir} alpn h2,http/1.1`,
      both: `    bind 0.0.0.0:80\n    bind 0.0.0.0:443 ssl crt ${certDir} alpn h2,http/1.1\n    bind [::]:80 v6only\n    bind [::]:443 v6only ssl crt ${certDir} alpn h2,http/1.1`,
    });
  });

  it("haproxy keeps X-Forwarded-For only from the trusted proxy, routes the media host, checks both backends", async () => {
    const d = join(work, "proxy, S3 and TLS".replace(/[^a-z0-9]+/gi, "-"), "haproxy");
    const cfg = read(join(d, "haproxy.cfg"));
    expect(section(cfg, "frontend public", "\nbackend varnish")).toBe(`frontend public
    bind 0.0.0.0:80
    bind 0.0.0.0:443 ssl crt ${certDir} alpn h2,http/1.1
    bind [::]:80 v6only
    bind [::]:443 v6only ssl crt ${certDir} alpn h2,http/1.1
    acl from_trusted_proxy src 198.51.100.7 2001:db8:1::7
    http-request del-header X-Forwarded-For unless from_trusted_proxy
    option forwardfor
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }
    http-request redirect scheme https code 301 unless { ssl_fc } || { path_beg /.well-known/acme-challenge/ }
    http-response set-header Strict-Transport-Security "max-age=31536000" if { ssl_fc }
    # ACME HTTP-01 (micropod certs), for every host name: nginx-media serves the token files.
    use_backend nginx_media if { path_beg /.well-known/acme-challenge/ }
    use_backend nginx_media if { req.hdr(host),field(1,:) -i media.example.org }
    default_backend varnish
`);
    expect(cfg.slice(cfg.indexOf("\nbackend varnish") + 1)).toBe(`backend varnish
    option httpchk
    http-check send meth GET uri /micropod-health ver HTTP/1.1 hdr Host example.org
    http-check expect status 200
    server varnish 10.89.1.50:80 check inter 5s fall 3 rise 2

backend nginx_media
    option httpchk
    http-check send meth GET uri /micropod-health ver HTTP/1.1 hdr Host example.org
    http-check expect status 200
    server nginx-media 10.89.1.41:80 check inter 5s fall 3 rise 2
`);
  });

  it("nginx trusts X-Forwarded-For from the suite's hops and PROXY_IP_V4/V6 only, proxies web and streaming", () => {
    const withProxy = read(join(work, "proxy-S3-and-TLS", "nginx", "nginx.conf"));
    expect(section(withProxy, "    set_real_ip_from", "    map $http_upgrade")).toBe(`    set_real_ip_from 10.89.1.50;
    set_real_ip_from fd00:10:89:1::50;
    set_real_ip_from 10.89.1.60;
    set_real_ip_from fd00:10:89:1::60;
    set_real_ip_from 198.51.100.7;
    set_real_ip_from 2001:db8:1::7;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;

`);
    const plain = read(join(work, "sample-env", "nginx", "nginx.conf"));
    expect(plain).not.toContain("198.51.100.7");
    expect(plain).toContain("        server 10.89.1.30:3000 fail_timeout=0;\n");
    expect(plain).toContain("        server 10.89.1.31:4000 fail_timeout=0;\n");
    expect(section(plain, "        location ^~ /api/v1/streaming", "        location / {")).toContain(
      "            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection $connection_upgrade;\n",
    );
    expect(plain).toContain("        server_name example.org;\n");
  });

  it("nginx-media reads from the S3 host's read port through the cache and relays its write port", () => {
    const conf = read(join(work, "proxy-S3-and-TLS", "nginx-media", "nginx.conf"));
    expect(conf).toContain("        server 203.0.113.20:3902;\n");
    expect(conf).toContain("            proxy_pass http://s3_read/mastodon-media/;\n");
    expect(conf).toContain("            proxy_set_header Host s3.example.net;\n");
    expect(conf).toContain("            proxy_cache media;\n");
    expect(conf).toContain("        server 203.0.113.20:3900;\n");
    expect(conf).toContain(`    proxy_cache_path ${join(work, "proxy-S3-and-TLS", "nginx-media", "cache")} levels=1:2`);
    const off = read(join(work, "sample-env", "nginx-media", "nginx.conf"));
    expect(off).not.toContain("proxy_pass");
    expect(off).toContain("            return 404;\n");
  });

  it("every address a proxy's config names is the frontend address compose.yaml gives the service it means", async () => {
    const suite = await loadSuite(join(containerfiles, "compose.yaml"), sample);
    const frontend = (service: string) => {
      const n = suite.services.get(service)!.networks.find((x) => x.name === "frontend");
      expect(n, `${service} is on the frontend network`).toBeDefined();
      return { v4: n!.ipv4Address!, v6: n!.ipv6Address! };
    };
    const haproxy = read(join(work, "sample-env", "haproxy", "haproxy.cfg"));
    expect(haproxy).toContain(`    server varnish ${frontend("varnish").v4}:80 check`);
    expect(haproxy).toContain(`    server nginx-media ${frontend("nginx-media").v4}:80 check`);
    const nginx = read(join(work, "sample-env", "nginx", "nginx.conf"));
    expect(nginx).toContain(`        server ${frontend("web").v4}:3000 fail_timeout=0;\n`);
    expect(nginx).toContain(`        server ${frontend("streaming").v4}:4000 fail_timeout=0;\n`);
    for (const hop of ["varnish", "haproxy"]) {
      expect(nginx).toContain(`    set_real_ip_from ${frontend(hop).v4};\n`);
      expect(nginx).toContain(`    set_real_ip_from ${frontend(hop).v6};\n`);
    }
    const vcl = read(join(work, "sample-env", "varnish", "default.vcl"));
    expect(vcl).toContain(`    .host = "${frontend("nginx").v4}";\n`);
    // No proxy config names an address on the backend network.
    const backend = suite.networks.get("backend")!.subnets.map((n) => n.subnet);
    const addresses = (text: string) => (text.match(/[0-9a-f.:]*[.:][0-9a-f.:]+/gi) ?? []).filter((a) => isIP(a) !== 0);
    for (const text of [haproxy, nginx, vcl]) {
      expect(addresses(text).length).toBeGreaterThan(0);
      for (const a of addresses(text)) expect(backend.filter((net) => subnetsOverlap(net, a)), a).toEqual([]);
    }
  });

  it("the one-host suite renders, byte for byte, the configs of the templates before their upstreams came from the environment", () => {
    // test/fixtures/proxy-configs: rendered from sample.env by the templates that wrote the
    // upstream addresses in themselves (commit before NGINX_WEB_HOST & co.).
    const before = join(repo, "test/fixtures/proxy-configs");
    expect(read(join(work, "sample-env", "nginx", "nginx.conf"))).toBe(read(join(before, "nginx.conf")));
    expect(read(join(work, "sample-env", "haproxy", "haproxy.cfg"))).toBe(read(join(before, "haproxy.cfg")));
    expect(read(join(work, "sample-env", "varnish", "default.vcl"))).toBe(read(join(before, "default.vcl")));
  });

  it("upstreams on another host: the addresses and ports the environment gives, IPv6 in brackets, and each daemon takes them", async () => {
    const d = (image: string) => join(work, "placed-upstreams", image);
    const nginx = configure("nginx", {
      ...(await serviceEnv("nginx", {})), ...debianNginx,
      NGINX_WEB_HOST: "192.0.2.20", NGINX_WEB_PORT: "3000", NGINX_STREAMING_HOST: "[2001:db8::20]", NGINX_STREAMING_PORT: "4001",
    }, d("nginx"));
    expect(nginx.status, nginx.out).toBe(0);
    const conf = read(join(d("nginx"), "nginx.conf"));
    expect(section(conf, "    upstream web {", "    server {")).toBe(`    upstream web {
        server 192.0.2.20:3000 fail_timeout=0;
        keepalive 16;
    }
    upstream streaming {
        server [2001:db8::20]:4001 fail_timeout=0;
        keepalive 16;
    }

`);
    const t = nginxCheck(d("nginx"));
    expect(t.status, t.out).toBe(0);

    const haproxy = configure("haproxy", {
      ...(await serviceEnv("haproxy", {})), HAPROXY_USER: "www-data", HAPROXY_GROUP: "www-data", HAPROXY_CERT_DIR: join(work, "no-certs"),
      HAPROXY_VARNISH_HOST: "192.0.2.30", HAPROXY_VARNISH_PORT: "8080", HAPROXY_MEDIA_HOST: "2001:db8::31", HAPROXY_MEDIA_PORT: "80",
    }, d("haproxy"));
    expect(haproxy.status, haproxy.out).toBe(0);
    const cfg = read(join(d("haproxy"), "haproxy.cfg"));
    expect(cfg.split("\n").filter((l) => l.startsWith("    server "))).toEqual([
      "    server varnish 192.0.2.30:8080 check inter 5s fall 3 rise 2",
      "    server nginx-media [2001:db8::31]:80 check inter 5s fall 3 rise 2",
    ]);
    const h = sh(["haproxy", "-c", "-f", join(d("haproxy"), "haproxy.cfg")], { PATH: process.env.PATH ?? "" });
    expect(h.status, h.out).toBe(0);
    expect(h.out).not.toContain("WARNING");

    const varnish = configure("varnish", { ...(await serviceEnv("varnish", {})), VARNISH_BACKEND_HOST: "192.0.2.40", VARNISH_BACKEND_PORT: "8081" }, d("varnish"));
    expect(varnish.status, varnish.out).toBe(0);
    expect(read(join(d("varnish"), "default.vcl"))).toContain('backend nginx {\n    .host = "192.0.2.40";\n    .port = "8081";\n');
    const v = sh(["varnishd", "-C", "-f", join(d("varnish"), "default.vcl"), "-n", join(d("varnish"), "work")], { PATH: process.env.PATH ?? "" });
    expect(v.status, v.out.slice(-2000)).toBe(0);
  });

  it("varnish's backend is nginx at its frontend address, 10.89.1.40:80", () => {
    const vcl = read(join(work, "sample-env", "varnish", "default.vcl"));
    expect(vcl).toContain('backend nginx {\n    .host = "10.89.1.40";\n    .port = "80";\n');
  });
});

describe("bad input is refused, nothing written", () => {
  it.each([
    ["haproxy", { DOMAIN: "example.org", IP4_ADDRESS: "", IP6_ADDRESS: "" }, "configure.sh: neither IP4_ADDRESS nor IP6_ADDRESS is set: set at least one in the .env file\n"],
    ["haproxy", { DOMAIN: "example.org", IP4_ADDRESS: "192.0.2.300.1" }, "configure.sh: IP4_ADDRESS=192.0.2.300.1 is not an IPv4 address\n"],
    ["haproxy", { DOMAIN: "example.org", IP6_ADDRESS: "[2001:db8::zz]" }, "configure.sh: IP6_ADDRESS=2001:db8::zz is not an IPv6 address\n"],
    ["nginx", { DOMAIN: "" }, "configure.sh: DOMAIN is not set: set it in the .env file\n"],
    ["nginx", { DOMAIN: "example.org", PROXY_IP_V4: "2001:db8::1" }, "configure.sh: PROXY_IP_V4=2001:db8::1 is not an IPv4 address\n"],
    ["nginx", { DOMAIN: "example.org", NGINX_WEB_HOST: "web" }, "configure.sh: NGINX_WEB_HOST=web is not an IP address\n"],
    ["nginx", { DOMAIN: "example.org", NGINX_STREAMING_PORT: "4000/tcp" }, "configure.sh: NGINX_STREAMING_PORT=4000/tcp is not a port number\n"],
    ["haproxy", { DOMAIN: "example.org", IP4_ADDRESS: "192.0.2.1", HAPROXY_MEDIA_HOST: "10.89.1.0/24" }, "configure.sh: HAPROXY_MEDIA_HOST=10.89.1.0/24 is not an IP address\n"],
    ["varnish", { VARNISH_BACKEND_HOST: "nginx" }, "configure.sh: VARNISH_BACKEND_HOST=nginx is not an IP address\n"],
    ["nginx-media", { S3_IP_ADDRESS_1: "203.0.113.20", S3_READ_PORT_NUMBER: "http" }, "configure.sh: S3_READ_PORT_NUMBER=http is not a port number\n"],
    ["nginx-media", { S3_IP_ADDRESS_1: "s3.example.net", S3_READ_PORT_NUMBER: "3902" }, "configure.sh: S3_IP_ADDRESS_1=s3.example.net is not an IP address\n"],
  ])("%s with %j", (image, env, message) => {
    const d = join(work, "refused", image, String(Math.random()).slice(2));
    const c = configure(image, { ...env, HAPROXY_CERT_DIR: join(work, "no-certs") }, d);
    expect(c.status).toBe(1);
    expect(c.out).toBe(message);
    expect(existsSync(join(d, image === "varnish" ? "default.vcl" : image === "haproxy" ? "haproxy.cfg" : "nginx.conf"))).toBe(false);
  });

  it("render-template names the template line of a variable that is not set and leaves the output alone", () => {
    const d = join(work, "render");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "t"), "listen ${PORT};\nserver_name ${DOMAIN};\n");
    writeFileSync(join(d, "out"), "previous\n");
    const r = sh([join(containerfiles, "base", "render-template"), join(d, "t"), join(d, "out")], { PATH: process.env.PATH ?? "", PORT: "80" });
    expect(r.status).toBe(1);
    expect(r.out).toBe(`render-template: ${join(d, "t")}:2: \${DOMAIN} is not set\n`);
    expect(read(join(d, "out"))).toBe("previous\n");
    const ok = sh([join(containerfiles, "base", "render-template"), join(d, "t"), join(d, "out")], { PATH: process.env.PATH ?? "", PORT: "80", DOMAIN: "a&b\\1.example" });
    expect(ok.status, ok.out).toBe(0);
    expect(read(join(d, "out"))).toBe("listen 80;\nserver_name a&b\\1.example;\n");
  });

  function read(path: string): string {
    return readFileSync(path, "utf8");
  }
});
