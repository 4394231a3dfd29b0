import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { readIfExists } from "../host/files.js";
import { checkCombinedPem, type CertificateInfo } from "./pem.js";
import type { CertificateProxy } from "./proxy.js";
import { mkdirPrivate } from "./private-dir.js";

/**
 * Put a new certificate where haproxy reads it and make haproxy use it. The file is written
 * atomically (haproxy never reads half of it), mode 0600, in a directory only root can list;
 * the one it replaces is kept outside that directory, since haproxy loads every file in it.
 * If haproxy's configuration check fails with the new file, the previous one is put back and
 * the configuration rendered again from it, so a running haproxy and its next start both keep
 * a certificate that works.
 */
export interface InstallPaths {
  readonly certFile: string;
  readonly previousFile: string;
}

export async function writeCertificate(paths: InstallPaths, pem: string): Promise<{ info: CertificateInfo; previous?: string }> {
  const info = checkCombinedPem(pem);
  const previous = await readIfExists(paths.certFile);
  if (previous !== undefined) {
    await mkdirPrivate(dirname(paths.previousFile));
    await writeFileAtomic(paths.previousFile, previous, { mode: 0o600 });
  }
  await mkdirPrivate(dirname(paths.certFile));
  await writeFileAtomic(paths.certFile, pem, { mode: 0o600 });
  return previous !== undefined ? { info, previous } : { info };
}

/**
 * Reconfigure and reload. A failed check restores `previous` (or removes the new file when
 * there was none) and renders the configuration again before the error goes up.
 */
export async function activateCertificate(paths: InstallPaths, previous: string | undefined, proxy: CertificateProxy): Promise<void> {
  try {
    await proxy.reconfigure();
  } catch (err) {
    if (previous !== undefined) await writeFileAtomic(paths.certFile, previous, { mode: 0o600 });
    else await rm(paths.certFile, { force: true });
    await proxy.reconfigure().catch(() => undefined);
    throw new Error(`haproxy refused the new certificate, the previous state is restored: ${(err as Error).message}`, { cause: err });
  }
  await proxy.reload();
}
