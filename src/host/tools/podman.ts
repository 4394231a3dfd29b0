import { type Command, command, inspect } from "../../core/command.js";

export const imageExists = (image: string): Command => inspect(["podman", "image", "exists", image]);
export const imagePull = (image: string): Command => command(["podman", "pull", image]);
