import { createHash } from "node:crypto";
import cron from "node-cron";
import { CERTS_LOG } from "../host/resources/logs.js";

/**
 * When renewals run: twice a day, at a minute and hour derived from the domain, so instances
 * do not all call the CA at the top of the hour (Let's Encrypt asks clients to pick a random
 * time: https://letsencrypt.org/docs/integration-guide/). A renewal that is not due changes
 * nothing and contacts no one, so running often costs nothing; twice a day leaves weeks of
 * retries before the 14-day alert.
 */
export function renewalTimes(domain: string): { minute: number; hours: [number, number] } {
  const h = createHash("sha256").update(domain).digest();
  const hour = h[1]! % 12;
  return { minute: h[0]! % 60, hours: [hour, hour + 12] };
}

/** The line `micropod health install` adds to its system crontab (cron(8) reads /usr/local/etc/cron.d). */
export function certsRenewCronLine(o: { domain: string; program: string; envFile: string }): string {
  const t = renewalTimes(o.domain);
  return `${t.minute} ${t.hours.join(",")} * * *\troot\t${o.program} certs renew --env ${o.envFile} >> ${CERTS_LOG} 2>&1`;
}

/**
 * The same schedule inside `micropod health watch` (the rc.d service): `renew` runs at those
 * times, never twice at once. Errors are renew's to log.
 */
export function scheduleRenewals(domain: string, renew: () => Promise<void>): { stop(): Promise<void> } {
  const t = renewalTimes(domain);
  const task = cron.schedule(`0 ${t.minute} ${t.hours.join(",")} * * *`, renew, { name: "micropod-certs-renew", noOverlap: true });
  return { stop: async () => void (await task.stop()) };
}
