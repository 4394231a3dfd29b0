import { type IncomingHttpHeaders, request } from "node:http";

/**
 * One HTTP request to podman's REST API over its unix socket (node:http, `socketPath`). The
 * libpod routes micropod uses, checked in containers/podman pkg/api/server/register_containers.go
 * and register_exec.go and tried against podman 4.3.1's `podman system service`:
 *   POST /libpod/containers/{name}/start    204 started, 304 already running, 404 no such container
 *   POST /libpod/containers/{name}/stop?timeout=N    204 stopped (or was not running), 404
 *   GET  /libpod/containers/json?all=true&filters={"label":["k=v"]}    the `ps` array
 *   GET  /libpod/containers/{name}/json     one inspect object, 404
 *   POST /libpod/containers/{name}/exec     201 {"Id"}, 404, 500 when the container is not running
 *   POST /libpod/exec/{id}/start {"Detach":false}    200 and the raw multiplexed stream until it exits
 *   GET  /libpod/exec/{id}/json             {"ExitCode","Running"}
 *   GET  /libpod/_ping                      200, header Libpod-API-Version: the service's podman version
 *        (containers/podman version/version.go: the libpod tree's CurrentAPI is Version; /_ping
 *        "provides the API-Version and Libpod-API-Version headers"). Not GET /libpod/version,
 *        which runs conmon and the OCI runtime for their versions: 1 s on 4.3.1 here.
 *   GET  /libpod/images/json                the `images --format json` array
 *   GET  /libpod/networks/json              [{"name"}]  (register_networks.go)
 *   GET  /libpod/secrets/json               [{"Spec":{"Name"}}]; GET /libpod/secrets/{name}/json one inspect object, 404
 * Errors come back as JSON {"cause","message","response"}; `message` is what the CLI prints after "Error: ".
 */
export const LIBPOD_API_PREFIX = "/v4.0.0/libpod";

export interface ApiResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The connection to the socket failed before podman saw the request: nothing happened, the CLI may do it. */
export class PodmanSocketUnreachableError extends Error {}

const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ENOTSOCK"]);

export interface ApiRequest {
  readonly method: "GET" | "POST";
  /** Below /libpod, with its query string. */
  readonly path: string;
  readonly body?: unknown;
  /** Aborting destroys the request (and the connection: a hijacked exec stream ends with it). */
  readonly signal?: AbortSignal;
  /** Called with each chunk of the body as it arrives instead of collecting it (the exec stream). */
  readonly onData?: (chunk: Buffer) => void;
}

export function apiRequest(socketPath: string, r: ApiRequest): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const req = request(
      {
        socketPath,
        // A connection per request, closed after it: no idle keep-alive socket holds podman's
        // service (or micropod's exit) once the work is done.
        agent: false,
        method: r.method,
        path: `${LIBPOD_API_PREFIX}${r.path}`,
        headers: payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) },
        ...(r.signal ? { signal: r.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => (r.onData && (res.statusCode ?? 0) < 300 ? r.onData(c) : chunks.push(c)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
        // The socket closing mid-body (podman gone, or our abort) must settle the promise too.
        res.on("aborted", () => reject(r.signal?.aborted ? r.signal.reason : new Error("podman closed the connection mid-answer")));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => reject(err.code && UNREACHABLE.has(err.code) ? new PodmanSocketUnreachableError(`${socketPath}: ${err.code}`, { cause: err }) : err));
    req.end(payload);
  });
}

/** podman's error message from an error answer ({"message"}), or the body as text. */
export function apiErrorMessage(res: ApiResponse): string {
  const text = res.body.toString("utf8").trim();
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === "string" && m) return m;
  } catch {
    /* not JSON: the text itself */
  }
  return text || `HTTP ${res.status}`;
}

/**
 * Split the raw stream of an exec without a TTY into stdout and stderr. Each frame is an 8-byte
 * header, [stream (1 stdout, 2 stderr), 0, 0, 0, size as a big-endian uint32], then `size` bytes
 * (Docker Engine API, "Attach to a container", stream format; podman writes the same:
 * pkg/api/handlers/compat/containers_attach.go / libpod's httpAttach). Frames may be split across
 * chunks, so it keeps what it has not consumed.
 */
export class StreamDemultiplexer {
  private pending: Buffer = Buffer.alloc(0);
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const frame = this.pending.subarray(8, 8 + size);
      (this.pending[0] === 2 ? this.stderr : this.stdout).push(frame);
      this.pending = this.pending.subarray(8 + size);
    }
  }

  text(stream: "stdout" | "stderr"): string {
    return Buffer.concat(this[stream]).toString("utf8");
  }
}
