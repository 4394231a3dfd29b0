import { type Command, command, inspect } from "../core/command.js";

export interface BuildOptions {
  readonly context: string;
  readonly file: string;
  readonly tags: readonly string[];
  /** Build args are configuration, not secrets: they end up in the image history. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly target?: string;
}

const sorted = (m: Readonly<Record<string, string>> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export const buildImage = (o: BuildOptions): Command =>
  command([
    "podman",
    "build",
    "--file",
    o.file,
    ...sorted(o.buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...sorted(o.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    ...(o.target ? ["--target", o.target] : []),
    ...o.tags.flatMap((t) => ["--tag", t]),
    o.context,
  ]);

/** Exit 0 when the image is in local storage, 1 when not. */
export const imageExists = (ref: string): Command => inspect(["podman", "image", "exists", ref]);

export const inspectImage = (...refs: string[]): Command => inspect(["podman", "image", "inspect", ...refs]);

export const pullImage = (ref: string): Command => command(["podman", "pull", ref]);

/** Give an image (by id or reference) another name; how upgrade keeps and restores the previous image. */
export const tagImage = (source: string, target: string): Command => command(["podman", "tag", source, target]);

/** Remove one name from an image (`podman untag IMAGE` alone would remove every name). */
export const untagImage = (image: string, name: string): Command => command(["podman", "untag", image, name]);

/** Every image in local storage with its names and labels, as JSON: one call instead of one inspect per image. */
export const listImages = (): Command => inspect(["podman", "images", "--format", "json"]);

export const podmanVersion = (): Command => inspect(["podman", "version", "--format", "{{.Client.Version}}"]);
