import { type Command, command, inspect } from "../core/command.js";

/**
 * Podman secrets. The value never travels in argv: podman reads it from its own environment
 * (`--env`, marked secret so rendering masks it), which only root can read in /proc. Standard
 * input would be the other way, but podman 4.3 insists on a named pipe there and Node gives
 * children a socket. podman 4.3 has no `secret create --replace`, so an update is rm then create.
 */
export const SECRET_VALUE_VAR = "MICROPOD_SECRET_VALUE";

export const createSecret = (name: string, value: string, labels: Readonly<Record<string, string>> = {}): Command =>
  command(
    [
      "podman",
      "secret",
      "create",
      ...Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      "--env",
      name,
      SECRET_VALUE_VAR,
    ],
    { env: { [SECRET_VALUE_VAR]: value }, secret: { env: [SECRET_VALUE_VAR] } },
  );

export const removeSecret = (name: string): Command => command(["podman", "secret", "rm", name]);

/** `podman secret exists` came with podman 4.5; `secret inspect` exits 125 for a missing one on 4.3 and 5.x alike. */
export const secretExists = (name: string): Command => inspect(["podman", "secret", "inspect", "--format", "{{.ID}}", name]);

/** Every secret with its labels (never its value: inspect without --showsecret). */
export const inspectSecrets = (...names: string[]): Command => inspect(["podman", "secret", "inspect", ...names]);

export const listSecrets = (): Command => inspect(["podman", "secret", "ls", "--format", "{{.Name}}"]);
