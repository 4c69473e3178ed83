import { describe, expect, it } from "vitest";
import type { DaprClient } from "../../runtime/dapr/client.js";
import { silentLogger } from "../../runtime/log.js";
import { useTestDb } from "../../test/support/db.js";
import job from "./prune-processed-events.job.js";

const db = useTestDb("prune-processed-events");

describe("prune-processed-events", () => {
  it("deletes inbox rows older than the horizon, in batches, and keeps the younger ones", async () => {
    await db.sql`
      insert into processed_events (consumer, event_id, processed_at)
      select 'email.reminder-due', 'old-' || n, now() - interval '20 days' from generate_series(1, 12000) n`;
    await db.sql`
      insert into processed_events (consumer, event_id, processed_at)
      select 'recurring.task-completed', 'young-' || n, now() - interval '2 days' from generate_series(1, 10) n`;
    const validated = await job.schema?.["~standard"].validate({ keep_days: 14 });
    if (!validated || ("issues" in validated && validated.issues)) throw new Error("job data refused");
    await job.handle((validated as { value: never }).value, {
      sql: db.sql,
      dapr: {} as DaprClient,
      log: silentLogger,
      signal: new AbortController().signal,
      stopping: new AbortController().signal,
      onEventsCommitted: () => {},
      job: { name: "prune-processed-events" },
    });
    const rows = await db.sql<
      { event_id: string }[]
    >`select event_id from processed_events order by event_id`;
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => row.event_id.startsWith("young-"))).toBe(true);
  });
});
