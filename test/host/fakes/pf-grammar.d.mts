/** Every error pfctl would print for `text` loaded from `file`, one line each; empty when pfctl accepts it. */
export function checkPfConf(file: string, text: string): string[];
