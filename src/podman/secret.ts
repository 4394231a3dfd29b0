import { type Command, command, inspect } from "../core/command.js";

/**
 * Podman secrets. The value travels on standard input only (marked secret, so rendering masks
 * it); argv carries the name and labels. podman 4.3 has no `secret create --replace`, so an
 * update is `secret rm` then `secret create`.
 */
export const createSecret = (name: string, value: string, labels: Readonly<Record<string, string>> = {}): Command =>
  command(
    [
      "podman",
      "secret",
      "create",
      ...Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      name,
      "-",
    ],
    { input: value, secret: { input: true } },
  );

export const removeSecret = (name: string): Command => command(["podman", "secret", "rm", name]);

/** `podman secret exists` came with podman 4.5; `secret inspect` exits 125 for a missing one on 4.3 and 5.x alike. */
export const secretExists = (name: string): Command => inspect(["podman", "secret", "inspect", "--format", "{{.ID}}", name]);

/** Every secret with its labels (never its value: inspect without --showsecret). */
export const inspectSecrets = (...names: string[]): Command => inspect(["podman", "secret", "inspect", ...names]);

export const listSecrets = (): Command => inspect(["podman", "secret", "ls", "--format", "{{.Name}}"]);
