import type { Context } from "../../core/context.js";

/** What adopting needs: no loaded configuration (adopt makes it), the engine's dependencies. */
export type AdoptContext = Pick<Context, "runner" | "logger" | "clock" | "out" | "redactor" | "signal">;
