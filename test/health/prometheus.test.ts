import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

// The sample Prometheus configuration and alert rules shipped in docs/prometheus/, checked by
// Prometheus' own promtool (Debian's `prometheus` package): the config and rules parse, and the
// two rules the docs promise fire on the series micropod writes, and only then.
const config = resolve(repoRoot, "docs/prometheus/prometheus.yml");
const rules = resolve(repoRoot, "docs/prometheus/micropod-alerts.yml");
let dir: string;

beforeAll(() => {
  requireTool("promtool", "prometheus");
  dir = tempDir("micropod-promtool-");
});

const promtool = (...args: string[]) => {
  const r = spawnSync("promtool", args, { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe("docs/prometheus", () => {
  it("the sample scrape config and its rule file pass promtool check config and check rules", () => {
    expect(promtool("check", "config", config)).toMatchObject({ code: 0 });
    const r = promtool("check", "rules", rules);
    expect(r.code).toBe(0);
    expect(r.out).toContain("SUCCESS: 3 rules found");
  });

  it("the rules fire on a wedged queue and an unreachable Redis, and not on a busy queue that moves", () => {
    const at = { instance: "mastodon.example.org:9100", job: "node" };
    const series = (name: string, labels: Record<string, string>, values: string) => ({
      series: `${name}{${Object.entries({ ...labels, ...at }).map(([k, v]) => `${k}="${v}"`).join(",")}}`,
      values,
    });
    const test = {
      rule_files: [rules],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // pull: nothing is taken, its oldest job ages a minute a minute.
            series("micropod_health_sidekiq_queue_latency_seconds", { queue: "pull" }, "0+60x30"),
            // push: a backlog that drains, its oldest job young again every other minute.
            series("micropod_health_sidekiq_queue_latency_seconds", { queue: "push" }, "400 20 400 20 400 20 400 20 400 20 400 20 400 20 400 20 400 20 400 20"),
            // Redis readable for two minutes, then not.
            series("micropod_health_redis_up", {}, "1 1 0x20"),
          ],
          alert_rule_test: [
            { eval_time: "14m", alertname: "SidekiqQueueWedged", exp_alerts: [] },
            {
              eval_time: "16m",
              alertname: "SidekiqQueueWedged",
              exp_alerts: [
                {
                  exp_labels: { severity: "critical", queue: "pull", ...at },
                  exp_annotations: {
                    summary: "Sidekiq queue pull on mastodon.example.org:9100 is not moving",
                    description: "The oldest job in pull has waited over 5 min for the last 10 min (now 6m 0s). See `micropod health status`.",
                  },
                },
              ],
            },
            { eval_time: "5m", alertname: "SidekiqRedisUnreachable", exp_alerts: [] },
            {
              eval_time: "8m",
              alertname: "SidekiqRedisUnreachable",
              exp_alerts: [
                {
                  exp_labels: { severity: "critical", ...at },
                  exp_annotations: {
                    summary: "micropod's health check cannot read Redis on mastodon.example.org:9100",
                    description: "Sidekiq's state has been unreadable for over 5 min: is the redis container running? See `micropod status` and `micropod health status`.",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(dir, "micropod-alerts.test.yml");
    writeFileSync(file, stringify(test));
    const r = promtool("test", "rules", file);
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });
});
