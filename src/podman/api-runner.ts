import { type Command, renderCommand } from "../core/command.js";
import { CommandFailedError } from "../core/errors.js";
import type { Redactor } from "../core/redact.js";
import { type RunOptions, type RunResult, type Runner, redactResult } from "../core/runner.js";
import { type PodmanApiCall, podmanApiCall } from "./api-calls.js";
import { type ApiResponse, PodmanSocketUnreachableError, StreamDemultiplexer, apiErrorMessage, apiRequest } from "./api-client.js";

/** Which way a command went: over the socket, or forked (not recognised, or the socket was gone). */
export type PodmanPath = "api" | "cli";

/** podman's exit code for an error of its own (podman(1), "Exit Codes": 125). */
const PODMAN_ERROR = 125;
/** What the CLI runner reports for a command it killed on timeout or abort (128 + SIGTERM). */
const CUT = 128 + 15;

/**
 * A Runner that makes the hot-path podman commands (podmanApiCall: start, stop, ps, inspect,
 * non-interactive exec, and what a start observes: version, images, networks, secrets) one REST
 * request over podman's socket and hands everything else to the CLI runner it wraps. Its results
 * are shaped as the CLI's: the same stdout the readers parse, "Error: MESSAGE" on stderr and exit
 * 125 where podman fails, the exec's own exit code; a timeout or abort ends the request and
 * reports 143 as the CLI runner does for a killed process; and without allowFailure a non-zero
 * exit throws the same CommandFailedError.
 *
 * An exec session cannot be killed through the API (the libpod exec routes are create, start,
 * resize and inspect): aborting closes the stream and the process inside runs on until it ends by
 * itself, as it does when the CLI's `podman exec` is killed (both tried on podman 4.3.1: a `sleep`
 * exec cut after 1 s by either runner was still running a second later). The readiness watcher bounds itself
 * (plan-containers.ts watchCommand: a round limit within the healthcheck's budget).
 */
export class PodmanApiRunner implements Runner {
  constructor(
    private readonly cli: Runner,
    private readonly socketPath: string,
    private readonly opts: { readonly redactor?: Redactor; readonly onPath?: (path: PodmanPath, c: Command) => void } = {},
  ) {}

  async run(c: Command, opts: RunOptions = {}): Promise<RunResult> {
    const call = opts.output && opts.output !== "collect" ? undefined : opts.logFile ? undefined : podmanApiCall(c);
    if (!call) return this.viaCli(c, opts);
    let result: RunResult;
    try {
      result = await this.cut(c, opts, (signal) => perform(this.socketPath, call, signal));
    } catch (err) {
      // Nothing reached podman: the CLI does it (the service stopped after micropod chose it).
      if (err instanceof PodmanSocketUnreachableError) return this.viaCli(c, opts);
      throw err;
    }
    this.opts.onPath?.("api", c);
    if (result.exitCode !== 0 && !opts.allowFailure) {
      throw new CommandFailedError(renderCommand(c, this.opts.redactor), redactResult(result, this.opts.redactor));
    }
    return result;
  }

  private viaCli(c: Command, opts: RunOptions): Promise<RunResult> {
    this.opts.onPath?.("cli", c);
    return this.cli.run(c, opts);
  }

  /** Runs `work` under the command's timeout and signal (none for an uncut command); cut short, it reports 143. */
  private async cut(c: Command, opts: RunOptions, work: (signal: AbortSignal) => Promise<RunResult>): Promise<RunResult> {
    const signals = opts.uncut ? [] : [...(opts.signal ? [opts.signal] : []), ...(opts.timeoutMs !== undefined ? [AbortSignal.timeout(opts.timeoutMs)] : [])];
    const signal = AbortSignal.any(signals);
    try {
      return await work(signal);
    } catch (err) {
      if (!signal.aborted || err instanceof PodmanSocketUnreachableError) throw err;
      const why = opts.signal?.aborted ? "was canceled" : `timed out after ${opts.timeoutMs} milliseconds`;
      return { exitCode: CUT, stdout: "", stderr: `Command ${why}: ${renderCommand(c, this.opts.redactor)}` };
    }
  }
}

function perform(socketPath: string, call: PodmanApiCall, signal: AbortSignal): Promise<RunResult> {
  const api = (method: "GET" | "POST", path: string, body?: unknown) => apiRequest(socketPath, { method, path, body, signal });
  switch (call.kind) {
    case "start":
      return eachName([call.name], (n) => api("POST", `/containers/${encodeURIComponent(n)}/start`));
    case "stop":
      return eachName(call.names, (n) => api("POST", `/containers/${encodeURIComponent(n)}/stop${call.timeoutSec !== undefined ? `?timeout=${call.timeoutSec}` : ""}`));
    case "list":
      return list(call.labels, api);
    case "inspect":
      return inspectEach(call.names, api, "containers");
    case "exec":
      return exec(socketPath, call, signal);
    case "version":
      return version(api);
    case "images":
      return jsonArray(api, "/images/json");
    case "networks":
      return names(api, "/networks/json", (n) => (n as { name?: unknown }).name);
    case "secrets":
      return names(api, "/secrets/json", (s) => (s as { Spec?: { Name?: unknown } }).Spec?.Name);
    case "inspect-secrets":
      return inspectEach(call.names, api, "secrets");
  }
}

type Api = (m: "GET", p: string) => Promise<ApiResponse>;
const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, stderr: "" });

/**
 * `podman version --format {{.Client.Version}}`: the service's version (the podman that does the
 * work), from the header every ping answer carries (api-client.ts); /version would cost a second.
 */
async function version(api: Api): Promise<RunResult> {
  const res = await api("GET", "/_ping");
  if (res.status >= 300) return failed(apiErrorMessage(res));
  const v = res.headers["libpod-api-version"];
  return typeof v === "string" && v ? ok(`${v}\n`) : failed("podman's ping answer has no Libpod-API-Version header");
}

/** `ps --all` / `images --format json`: the API's array is the CLI's, the same summary fields (tried on 4.3.1). */
async function jsonArray(api: Api, path: string): Promise<RunResult> {
  const res = await api("GET", path);
  return res.status < 300 ? ok(`${res.body.toString("utf8").trim()}\n`) : failed(apiErrorMessage(res));
}

/** `podman network ls` / `secret ls --format {{.Name}}`: one name per line. */
async function names(api: Api, path: string, nameOf: (entry: unknown) => unknown): Promise<RunResult> {
  const res = await api("GET", path);
  if (res.status >= 300) return failed(apiErrorMessage(res));
  const entries = JSON.parse(res.body.toString("utf8")) as unknown;
  const list = Array.isArray(entries) ? entries.map(nameOf) : [];
  // An answer of another shape is no "none exist": that would make a start create what is there.
  if (!Array.isArray(entries) || !list.every((n) => typeof n === "string")) return failed(`podman's ${path} answer is not a list of named entries`);
  return ok(list.map((n) => `${String(n)}\n`).join(""));
}

const failed = (message: string, stdout = ""): RunResult => ({ exitCode: PODMAN_ERROR, stdout, stderr: `Error: ${message}\n` });

/**
 * `podman start a` / `podman stop a b`: side by side, each name printed as it succeeds, an
 * "Error:" line for each that failed and exit 125 if any did (as the CLI: a missing container is
 * `no container with name or ID "x" found: no such container`, the API's message word for word).
 */
async function eachName(names: readonly string[], call: (name: string) => Promise<ApiResponse>): Promise<RunResult> {
  const answers = await Promise.all(names.map(call));
  // 304: already running (start) or already stopped; the CLI prints nothing for those.
  const ok = names.filter((_, i) => answers[i]!.status < 300);
  const errors = answers.filter((a) => a.status >= 400).map((a) => `Error: ${apiErrorMessage(a)}\n`);
  return { exitCode: errors.length ? PODMAN_ERROR : 0, stdout: ok.map((n) => `${n}\n`).join(""), stderr: errors.join("") };
}

/** The API's list is the CLI's `ps --format json` but for Created, CreatedAt and Status, which micropod does not read. */
async function list(labels: Readonly<Record<string, string>>, api: Api): Promise<RunResult> {
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const filters = label.length ? `&filters=${encodeURIComponent(JSON.stringify({ label }))}` : "";
  return jsonArray(api, `/containers/json?all=true${filters}`);
}

/**
 * `podman container inspect a b` / `podman secret inspect a b`: one request per name, the array
 * of those found (a secret's labels, never its value), and where one is refused the CLI's error
 * and 125: "inspecting object: no such container x", "inspecting secret: no secret with name or
 * id "x": no such secret" (podman 4.3.1's words, held to the CLI's by test/podman/api-runner).
 */
async function inspectEach(names: readonly string[], api: Api, kind: "containers" | "secrets"): Promise<RunResult> {
  const answers = await Promise.all(names.map((n) => api("GET", `/${kind}/${encodeURIComponent(n)}/json`)));
  const found = answers.filter((a) => a.status < 300).map((a) => JSON.parse(a.body.toString("utf8")) as unknown);
  const stdout = `${JSON.stringify(found, null, 4)}\n`;
  const refused = answers.findIndex((a) => a.status >= 300);
  if (refused < 0) return ok(stdout);
  const answer = answers[refused]!;
  if (kind === "secrets") return failed(`inspecting secret: ${apiErrorMessage(answer)}`, stdout);
  // A missing container is reported after any other refusal, in the CLI's words.
  const other = answers.find((a) => a.status >= 300 && a.status !== 404);
  return failed(other ? apiErrorMessage(other) : `inspecting object: no such container ${names[refused]}`, stdout);
}

/**
 * `podman exec NAME ARGV` without stdin or a TTY: create the session attached to stdout and
 * stderr, start it attached (the answer is the multiplexed stream until the process ends), then
 * read its exit code. A container that is not running cannot have an exec session: 125 with
 * podman's message (the 4.3.1 CLI exits 255 there; readiness treats every code from 125 up alike).
 */
async function exec(socketPath: string, call: Extract<PodmanApiCall, { kind: "exec" }>, signal: AbortSignal): Promise<RunResult> {
  const created = await apiRequest(socketPath, {
    method: "POST",
    path: `/containers/${encodeURIComponent(call.name)}/exec`,
    body: { Cmd: call.argv, Env: Object.entries(call.env).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true, ...(call.user !== undefined ? { User: call.user } : {}) },
    signal,
  });
  if (created.status >= 300) return failed(apiErrorMessage(created));
  const id = encodeURIComponent((JSON.parse(created.body.toString("utf8")) as { Id: string }).Id);
  const streams = new StreamDemultiplexer();
  const started = await apiRequest(socketPath, { method: "POST", path: `/exec/${id}/start`, body: { Detach: false, Tty: false }, signal, onData: (c) => streams.push(c) });
  if (started.status >= 300) return failed(apiErrorMessage(started));
  const exitCode = await execExitCode(socketPath, id, signal);
  if (typeof exitCode === "string") return failed(exitCode, streams.text("stdout"));
  return { exitCode, stdout: streams.text("stdout"), stderr: streams.text("stderr") };
}

/**
 * The exit code of an exec session whose stream has ended; podman records it as the process is
 * reaped, so a session still marked running is asked again, briefly. A string is podman's error.
 */
async function execExitCode(socketPath: string, id: string, signal: AbortSignal): Promise<number | string> {
  for (let attempt = 0; ; attempt++) {
    const res = await apiRequest(socketPath, { method: "GET", path: `/exec/${id}/json`, signal });
    if (res.status >= 300) return apiErrorMessage(res);
    const session = JSON.parse(res.body.toString("utf8")) as { ExitCode?: unknown; Running?: unknown };
    if (session.Running !== true || attempt >= 50) return typeof session.ExitCode === "number" ? session.ExitCode : PODMAN_ERROR;
    await new Promise((r) => setTimeout(r, 20));
  }
}
