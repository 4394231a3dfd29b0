/**
 * What the first Ctrl-C (SIGINT, or SIGTERM) does to each verb, as cli.ts says it when the signal
 * arrives: it aborts the context's signal, and each verb stops where its code looks at that signal.
 * Keep a line here true when a verb's handling of the signal changes. The second Ctrl-C kills every
 * command under way, builds included (but a podman rm, create or start, which ends by itself within a second),
 * releases the lock and quits.
 */
const firstCtrlC: Readonly<Record<string, string>> = {
  start: "stopping: readiness checks end now; a pull, a build, or a podman rm, create or start under way, is finished first; nothing else begins",
  build: "stopping: the builds under way run to their end (podman cut while it commits an image can break its storage); no other begins",
  stop: "the containers being stopped finish stopping; no other is stopped",
  upgrade:
    "stopping once the step under way ends (a backup, a build or a migration is never cut; readiness checks end now), then putting the previous image back if it was replaced; `micropod start` recreates from it what the upgrade recreated",
  restore: "nothing changes if the writers are not stopped yet; once they are, restore goes on to its end but does not start them again (`micropod start` does)",
  "db query-stats enable": "stopping once the command under way ends; what a PostgreSQL restart had stopped stays stopped until `micropod start`",
  "search setup": "stopping: the wait for the search service ends now; an index build under way goes on to its end",
  "health check": "stopping now, even in the middle of a Redis read",
  "health watch": "stopping now, even in the middle of a check",
  logs: "stopping now",
  exec: "waiting for the command to end",
  tootctl: "waiting for tootctl to end",
  "certs issue": "stopping: the ACME exchange ends now and the certificate in place is kept",
  "certs renew": "stopping: the ACME exchange ends now and the certificate in place is kept",
};

/** The sentence for `verb` (its command path, e.g. "health check"); a verb that never looks at the signal runs to its end. */
export function interruptNote(verb: string | undefined): string {
  if (verb === undefined) return "stopping";
  return firstCtrlC[verb] ?? `${verb} does not stop halfway: it goes on to its end`;
}
