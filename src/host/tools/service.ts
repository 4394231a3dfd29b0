import { type Command, command, inspect } from "../../core/command.js";

/** `service NAME status` exits 0 when the service runs. */
export const serviceStatus = (name: string): Command => inspect(["service", name, "status"]);
export const serviceStart = (name: string): Command => command(["service", name, "start"]);
export const serviceRestart = (name: string): Command => command(["service", name, "restart"]);
