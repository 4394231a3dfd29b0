import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { CommandFailedError, UsageError } from "../core/errors.js";
import { renderCommand } from "../core/command.js";
import { execInContainer } from "../podman/container.js";
import type { OpsContext } from "./context.js";
import { tootctl } from "./passthrough.js";
import { requireRunning } from "./running.js";
import { roleServiceName } from "../suite/roles.js";

export interface AdminCreateOptions {
  readonly username: string;
  readonly email: string;
  /** Print the generated password on standard output (it is always in the credentials file). */
  readonly showPassword?: boolean;
}

export type AdminCreateResult =
  | { readonly status: "created"; readonly credentialsFile: string }
  | { readonly status: "exists"; readonly reason: string };

/** Where the owner's generated password is kept (mode 0600). */
export const credentialsPath = (dataDir: string) => join(dataDir, "mastodon", "private", "mastodon.owner.credentials");

const USERNAME = /^[A-Za-z0-9_]{1,30}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const createOwnerArgv = (o: Pick<AdminCreateOptions, "username" | "email">): string[] => [
  ...tootctl,
  "accounts",
  "create",
  o.username,
  "--email",
  o.email,
  "--confirmed",
  "--role",
  "Owner",
];

/** tootctl prints `New password: <hex>` after `OK`. */
export function parsePassword(stdout: string): string | undefined {
  return /^New password: (\S+)\s*$/m.exec(stdout)?.[1];
}

/** tootctl's validation failure for a taken username or e-mail (`Failure/Error: ... taken`). */
export function takenReason(output: string): string | undefined {
  if (!/\btaken\b/.test(output)) return undefined;
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  const what = lines.find((l) => /username|email/.test(l) && !/^OK$/.test(l));
  return what ? `${what.replace(/^Failure\/Error:\s*/, "")} is already taken` : "the account already exists";
}

export function credentialsText(o: Pick<AdminCreateOptions, "username" | "email">, password: string, domain: string | undefined): string {
  return [
    "# Mastodon owner account created by micropod admin create. Keep this file private (mode 0600).",
    ...(domain ? [`url=https://${domain}/auth/sign_in`] : []),
    `username=${o.username}`,
    `email=${o.email}`,
    `password=${password}`,
    "",
  ].join("\n");
}

/**
 * The owner account. tootctl generates the password; micropod moves it straight from tootctl's
 * output into the credentials file and registers it with the redactor before anything could log it.
 */
export async function adminCreate(ctx: Pick<OpsContext, "runner" | "logger" | "redactor" | "out" | "suite" | "config">, o: AdminCreateOptions): Promise<AdminCreateResult> {
  if (!USERNAME.test(o.username)) throw new UsageError(`--username ${JSON.stringify(o.username)}: letters, digits and _ only, at most 30`);
  if (!EMAIL.test(o.email)) throw new UsageError(`--email ${JSON.stringify(o.email)}: not an e-mail address`);
  const file = credentialsPath(ctx.config.paths.data);
  const container = await requireRunning(ctx.runner, ctx.suite, roleServiceName(ctx.suite, "web"));
  const c = execInContainer(container, createOwnerArgv(o));
  const r = await ctx.runner.run(c, { allowFailure: true });
  const password = parsePassword(r.stdout);
  ctx.redactor.add(password);
  // A password in the output means the account exists now, whatever the exit code: keep it.
  if (!password) {
    const reason = takenReason(`${r.stdout}\n${r.stderr}`);
    if (reason) {
      const have = await stat(file).then(() => true, () => false);
      const msg = `account ${o.username} already exists (${reason}); nothing changed${have ? `, credentials stay in ${file}` : ""}`;
      ctx.logger.info(msg);
      ctx.out(msg);
      return { status: "exists", reason };
    }
    throw new CommandFailedError(renderCommand(c, ctx.redactor), { ...r, stdout: ctx.redactor.redact(r.stdout), stderr: ctx.redactor.redact(r.stderr) });
  }
  await mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
  // A credentials file from an earlier owner is kept as .micropod-backup, never lost.
  await writeFileAtomic(file, credentialsText(o, password, ctx.config.vars.DOMAIN), { mode: 0o600, backup: true });
  ctx.logger.info({ username: o.username, file }, "owner account created; password saved");
  ctx.out(`created owner ${o.username} <${o.email}>; password in ${file}`);
  if (o.showPassword) ctx.out(`password: ${password}`);
  return { status: "created", credentialsFile: file };
}
