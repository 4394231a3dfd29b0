import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../core/atomic-write.js";

/**
 * What `certs issue` decided and what the last run did, in DATA_DIR/state/certs.json: the
 * directory and trust the certificate came from (so a cron `renew` goes back to the same CA,
 * staging included), the last attempt and its error, and whether haproxy still has to load a
 * certificate already on disk.
 */
export interface CertsState {
  readonly directoryUrl: string;
  readonly caFile?: string;
  readonly email?: string;
  readonly lastAttempt?: { readonly at: string; readonly ok: boolean; readonly error?: string };
  /** The certificate on disk is newer than the one haproxy serves: the next run reloads. */
  readonly reloadPending?: boolean;
}

export async function loadCertsState(path: string): Promise<CertsState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const v = JSON.parse(text) as Partial<CertsState>;
  if (typeof v.directoryUrl !== "string") throw new Error(`${path}: no directoryUrl; remove the file and run \`micropod certs issue\` again`);
  return v as CertsState;
}

export async function saveCertsState(path: string, state: CertsState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644, mkdirs: true });
}
