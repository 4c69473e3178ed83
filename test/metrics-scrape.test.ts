/**
 * `/metrics` as Prometheus scrapes it: the backend group behind real HTTP and real PostgreSQL, driven by
 * the MCP SDK's own client, then linted by Prometheus' `promtool check metrics`.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseGauges } from "../runtime/db-gauges.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import { connectClient, serveBackend, userToken } from "./support/backend-app.js";
import { useTestDb } from "./support/db.js";
import type { Served } from "./support/http.js";
import { promtoolCheckMetrics, promtoolMissing } from "./support/promtool.js";

const db = useTestDb("metrics-scrape");

let served: Served;
let client: Client;
const metrics = new RuntimeMetrics();

beforeAll(async () => {
  metrics.addCollector(databaseGauges(db.sql, { cacheMs: 0 }));
  served = await serveBackend(db.sql, { metrics });
  client = await connectClient(served.url, await userToken(db.sql, "metrics@example.com"), "metrics-test");
});
afterAll(async () => {
  await client?.close();
  await served?.close();
});

const scrape = async () => {
  const response = await fetch(`${served.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("/metrics", () => {
  it("counts MCP tool calls by tool and outcome, and times them", async () => {
    await client.callTool({ name: "add_task", arguments: { title: "Water the plants" } });
    await client.callTool({ name: "add_task", arguments: { title: "Feed the cat" } });
    await client.callTool({ name: "add_task", arguments: { title: 42 } });
    await client.callTool({
      name: "get_task",
      arguments: { task_id: "00000000-0000-4000-8000-000000000000" },
    });
    const text = await scrape();
    expect(sample(text, 'taskbeat_mcp_tool_calls_total{outcome="ok",tool="add_task"}')).toBe(2);
    expect(sample(text, 'taskbeat_mcp_tool_calls_total{outcome="validation_error",tool="add_task"}')).toBe(1);
    expect(text).toMatch(/^taskbeat_mcp_tool_calls_total\{outcome="task_not_found",tool="get_task"\} 1$/m);
    expect(sample(text, 'taskbeat_mcp_tool_duration_seconds_count{tool="add_task"}')).toBe(3);
    expect(text).toContain('taskbeat_mcp_tool_duration_seconds_bucket{tool="add_task",le="60"} 3');
  });

  it("reads the outbox, reminders and dead letters from the database at scrape time", async () => {
    await db.sql`insert into dead_letters (source, event_id, topic, pubsub, event)
      values ('task-reminders-dlq', 'e-1', 'task-reminders', 'pubsub', '{}'::jsonb)`;
    const text = await scrape();
    // The two add_task calls above each committed a task.created event, and no relay runs here.
    const [outbox] = await db.sql<[{ n: number }]>`select count(*)::int as n from outbox`;
    expect(outbox?.n).toBeGreaterThanOrEqual(2);
    expect(sample(text, "taskbeat_outbox_pending_rows")).toBe(outbox?.n);
    expect(sample(text, "taskbeat_outbox_oldest_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "taskbeat_outbox_dead_rows")).toBe(0);
    for (const state of ["pending", "published", "failed"]) {
      expect(sample(text, `taskbeat_reminders{state="${state}"}`), state).toBe(0);
    }
    expect(sample(text, 'taskbeat_dead_letters{source="task-reminders-dlq"}')).toBe(1);
    expect(sample(text, 'taskbeat_dead_letters{source="task-recurrence-dlq"}')).toBe(0);
    expect(sample(text, 'taskbeat_dead_letters{source="outbox"}')).toBe(0);
    expect(sample(text, "taskbeat_metrics_database_up")).toBe(1);
  });

  it("has build info, process and Node.js runtime metrics, and delivery buckets up to the 60 s timeout", async () => {
    metrics.deliveryRoute("/events/email/reminder-due").record("success", 0.002);
    const text = await scrape();
    expect(text).toMatch(/^taskbeat_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    for (const family of [
      "process_resident_memory_bytes",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
    ]) {
      expect(text, family).toContain(`# TYPE ${family} `);
    }
    expect(text).toContain(
      'taskbeat_delivery_duration_seconds_bucket{route="/events/email/reminder-due",le="60"} 1',
    );
    // Prometheus sets `job` and `instance` on every target; an app label of that name becomes exported_job.
    expect(text).not.toMatch(/^taskbeat_\w+\{(?:[^}]*,)?(?:job|instance)="/m);
  });

  it.skipIf(promtoolMissing())("passes promtool check metrics", async () => {
    const { status, output } = promtoolCheckMetrics(await scrape());
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("a database that does not answer in time leaves those gauges out instead of holding up the scrape", async () => {
    const slow = new RuntimeMetrics({ processMetrics: false });
    slow.addCollector(databaseGauges(db.sql, { timeoutMs: 300, cacheMs: 0 }));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const locking = db.sql.begin(async (tx) => {
      await tx`lock table outbox in access exclusive mode`;
      await held;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const startedAt = performance.now();
      const text = await slow.render();
      expect(performance.now() - startedAt).toBeLessThan(5_000);
      expect(sample(text, "taskbeat_metrics_database_up")).toBe(0);
      expect(text).not.toMatch(/^taskbeat_outbox_pending_rows /m);
    } finally {
      release();
      await locking;
    }
    expect(sample(await slow.render(), "taskbeat_metrics_database_up")).toBe(1);
  });
});
