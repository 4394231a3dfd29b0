import type { Command as Program } from "commander";
import { SuiteError, UsageError } from "../core/errors.js";
import { commandFor } from "../engine/placement.js";
import { containerLogs } from "../podman/container.js";
import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export interface LogsOptions extends SuiteOptions {
  readonly follow?: boolean;
  readonly tail?: number;
}

/**
 * `micropod logs SERVICE [-f] [--tail N]`. Following streams until Ctrl-C: the Runner hands each
 * line over, redacted, as it arrives.
 */
export async function logs(ctx: Context, serviceName: string, opts: LogsOptions): Promise<void> {
  const { suite } = await loadConfigAndSuite(ctx, opts);
  const service = suite.services.get(serviceName);
  if (!service) {
    throw new SuiteError(`no such service: ${serviceName}`, [{ message: `services: ${[...suite.services.keys()].join(", ")}` }]).withNext(
      "`micropod status` shows each service and its state",
    );
  }
  // From the podman of the service's host (suite/placement.ts).
  const cmd = commandFor(suite, serviceName, containerLogs(service.containerName, { ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.follow ? { follow: true } : {}) }));
  if (!opts.follow) {
    const r = await ctx.runner.run(cmd);
    ctx.out(ctx.redactor.redact(`${r.stdout}${r.stderr}`));
    return;
  }
  const print = (line: string, stream: "stdout" | "stderr") => (stream === "stdout" ? process.stdout : process.stderr).write(line);
  await ctx.runner.run(cmd, { output: print, signal: ctx.signal, allowFailure: true });
}

export function registerLogs(program: Program, context: () => Context): void {
  withSuiteOptions(program.command("logs").description("show a service's container log").argument("<service>", "service name"))
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --tail <lines>", "only the last N lines", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--tail must be a whole number, got ${JSON.stringify(v)}`);
      return n;
    })
    .action(async (service: string, opts: LogsOptions) => logs(context(), service, opts));
}
