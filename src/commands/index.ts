import type { Command as Program } from "commander";
import type { Context } from "../core/context.js";
import { registerExec } from "./exec.js";
import { registerTootctl } from "./tootctl.js";
import { registerAdmin } from "./admin.js";
import { registerSearch } from "./search.js";
import { registerDb } from "./db.js";
import { registerBackup } from "./backup.js";
import { registerRestore } from "./restore.js";
import { registerUpgrade } from "./upgrade.js";
import { registerAdopt } from "./adopt.js";
import { registerDoctor } from "./doctor.js";
import { registerPlan } from "./plan.js";
import { registerGraph } from "./graph.js";
import { registerPrepareHost } from "./prepare-host.js";
import { registerHealth } from "./health.js";
import { registerCerts } from "./certs.js";
import { registerBuild } from "./build.js";
import { registerStart } from "./start.js";
import { registerStop } from "./stop.js";
import { registerStatus } from "./status.js";
import { registerLogs } from "./logs.js";
import { registerCompletion } from "./completion.js";

/**
 * A verb registers itself on the program: parse options in `.action()` and call one use-case
 * function with the context it needs. Add each verb's registrar to the list below.
 */
export type Register = (program: Program, context: () => Context) => void;

export const commands: Register[] = [registerPlan, registerGraph, registerPrepareHost, registerDoctor, registerHealth, registerCerts, registerBuild, registerStart, registerStop, registerStatus, registerLogs, registerExec, registerTootctl, registerAdmin, registerSearch, registerDb, registerBackup, registerRestore, registerUpgrade, registerAdopt, registerCompletion];
