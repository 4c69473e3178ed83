/**
 * Outbox relay: `drainOutbox` publishing seeded rows to the local sidecar, which runs in its own
 * process. Rows are reseeded before each run.
 */
import type { Sql } from "postgres";
import { DaprClient } from "../runtime/dapr/client.js";
import { drainOutbox } from "../runtime/outbox/relay-runner.js";
import { freePort, median, startServer } from "./lib/proc.js";

export interface OutboxResult {
  rows: number;
  eventsPerSecond: number;
  published: number;
}

async function seed(sql: Sql, rows: number): Promise<void> {
  await sql`delete from outbox`;
  await sql`
    insert into outbox (id, pubsub, topic, partition_key, event)
    select gen_random_uuid(), 'pubsub', 'task-reminders', 'task-' || (g % 1000),
      jsonb_build_object('specversion', '1.0', 'id', gen_random_uuid(), 'source', 'taskbeat',
        'type', 'taskbeat.reminder.due.v1', 'datacontenttype', 'application/json', 'subject', 'r-' || g,
        'data', jsonb_build_object('reminderId', 'r-' || g, 'taskId', 'task-' || (g % 1000)))
    from generate_series(1, ${rows}) g`;
  await sql.unsafe("vacuum analyze outbox");
}

export async function benchOutbox(sql: Sql, rows: number, runs: number): Promise<OutboxResult> {
  const port = await freePort();
  const sidecar = await startServer("sidecar", port);
  try {
    const dapr = new DaprClient({ baseUrl: `http://127.0.0.1:${port}` });
    const rates: number[] = [];
    let published = 0;
    for (let run = 0; run < runs; run++) {
      await seed(sql, rows);
      const started = performance.now();
      const result = await drainOutbox(sql, dapr, { budgetMs: 120_000 });
      rates.push(result.published / ((performance.now() - started) / 1000));
      published = result.published;
    }
    return { rows, eventsPerSecond: median(rates), published };
  } finally {
    await sidecar.stop();
  }
}
