import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { type Socket, connect, createServer } from "node:net";
import { Redis } from "ioredis";
import { freePort } from "../support/free-port.js";
import { requireTool } from "../support/require-tool.js";
import { deferCleanup, once } from "../support/cleanup.js";
import { tempDir } from "../support/temp.js";

/** A real redis-server on a free loopback port, in a temp dir, persisting nothing. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  client(): Redis;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** requirepass: clients must AUTH with it. */
  readonly password?: string;
  /** Extra redis-server arguments. */
  readonly args?: readonly string[];
  /** Start on this directory (its dump.rdb is loaded) instead of a new empty one; removed by stop() unless `keepDir`. */
  readonly dir?: string;
  readonly keepDir?: boolean;
  /** Wait only until the port accepts connections (a server loading its dataset answers LOADING). */
  readonly acceptOnly?: boolean;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  requireTool("redis-server", "redis-server");
  const dir = opts.dir ?? tempDir("micropod-redis-");
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...(opts.password ? ["--requirepass", opts.password] : []), ...(opts.args ?? [])];
  const proc: ChildProcess = spawn("redis-server", args, { stdio: "ignore" });
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis({ host: "127.0.0.1", port, lazyConnect: false, maxRetriesPerRequest: 1, ...(opts.password ? { password: opts.password } : {}) });
    c.on("error", () => {}); // refused while the server starts; commands still reject
    clients.push(c);
    return c;
  };
  const stop = once(async () => {
    for (const c of clients) c.disconnect();
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  });
  deferCleanup(`redis-server on port ${port}`, stop);
  try {
    if (opts.acceptOnly) await waitForPort(port);
    else {
      const probe = client();
      for (let i = 0; ; i++) {
        try {
          if ((await probe.ping()) === "PONG") break;
        } catch (err) {
          if (i > 50) throw err;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `redis://127.0.0.1:${port}/0`, client, stop };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (open) return;
    if (i > 50) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real redis-server still loading its dataset, answering every command with LOADING: a
 * dump of `keys` keys, loaded with redis' own `key-load-delay` (microseconds per key, a
 * testing knob of redis 6+) so the loading lasts about `keys × delayUs` µs.
 */
export async function startLoadingRedis(keys = 20_000, delayUs = 1000): Promise<RedisServer> {
  const dir = tempDir("micropod-redis-loading-");
  try {
    const seed = await startRedis({ dir, keepDir: true, args: ["--enable-debug-command", "yes"] });
    try {
      const c = seed.client();
      await c.call("DEBUG", "POPULATE", String(keys));
      await c.save();
    } finally {
      await seed.stop();
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return startRedis({ dir, acceptOnly: true, args: ["--key-load-delay", String(delayUs), "--loading-process-events-interval-bytes", "1024"] });
}

/**
 * A TCP listener on loopback that accepts connections and never answers: the way a wedged
 * Redis (or a firewall that half-drops) looks to a client. `received` resolves at the first
 * bytes a client sends, so a test knows the client is waiting in the middle of a read.
 */
export interface SilentListener {
  readonly port: number;
  readonly received: Promise<void>;
  close(): Promise<void>;
}

export async function startSilentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>();
  let gotData: () => void = () => {};
  const received = new Promise<void>((resolve) => (gotData = resolve));
  const server = createServer((s) => {
    sockets.add(s);
    s.on("data", () => gotData());
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const close = once(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  deferCleanup("a silent listener", close);
  return { port: typeof addr === "object" && addr ? addr.port : 0, received, close };
}
