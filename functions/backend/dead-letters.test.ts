import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serveBackend } from "../../test/support/backend-app.js";
import { runCli } from "../../test/support/cli.js";
import { useTestDb } from "../../test/support/db.js";
import type { Served } from "../../test/support/http.js";

const db = useTestDb("dead-letters");
let served: Served;

beforeAll(async () => {
  served = await serveBackend(db.sql);
});
afterAll(() => served?.close());

const cli = (args: string[]) =>
  runCli(["dead-letters", ...args], { DATABASE_URL: db.url, LOG_LEVEL: "warn" });

const reminderDue = (id: string) => ({
  specversion: "1.0",
  id,
  source: "taskbeat",
  type: "taskbeat.reminder.due.v1",
  subject: "reminder-1",
  datacontenttype: "application/json",
  topic: "task-reminders-dlq",
  pubsubname: "pubsub",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  data: { reminder_id: "reminder-1" },
});

describe.skipIf(inject("databaseIsEmbedded"))("dead letters", () => {
  it("a message on task-reminders-dlq is kept once, however often daprd delivers it", async () => {
    const id = randomUUID();
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${served.url}/events/backend/task-reminders-dlq`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify(reminderDue(id)),
      });
      expect(await response.json()).toEqual({ status: "SUCCESS" });
    }
    const rows = await db.sql`select source, topic, pubsub, event from dead_letters where event_id = ${id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: "task-reminders-dlq",
      topic: "task-reminders",
      pubsub: "pubsub",
    });
    expect(rows[0]?.event).toMatchObject({
      id,
      type: "taskbeat.reminder.due.v1",
      data: { reminder_id: "reminder-1" },
    });
  });

  it("the subscriptions are declared to daprd without a dead-letter topic of their own", async () => {
    const subscriptions = (await (await fetch(`${served.url}/dapr/subscribe`)).json()) as Array<{
      topic: string;
      deadLetterTopic?: string;
    }>;
    for (const topic of ["task-reminders-dlq", "task-recurrence-dlq"]) {
      const found = subscriptions.find((s) => s.topic === topic);
      expect(found, topic).toBeDefined();
      expect(found?.deadLetterTopic, topic).toBeUndefined();
    }
  });

  it("taskbeat dead-letters lists, shows, replays into the outbox with the same id, and discards", async () => {
    const fromDlq = randomUUID();
    await fetch(`${served.url}/events/backend/task-recurrence-dlq`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify({
        ...reminderDue(fromDlq),
        type: "taskbeat.task.completed.v1",
        subject: "task-9",
      }),
    });
    const fromOutbox = randomUUID();
    await db.sql`
      insert into outbox_dead (seq, id, pubsub, topic, partition_key, event, created_at, attempts, last_error, next_attempt_at)
      values (999999, ${fromOutbox}, 'pubsub', 'task-events', 'task-7',
        ${db.sql.json({ id: fromOutbox, type: "taskbeat.task.created.v1" } as never)}, now(), 12, 'broker down', now())`;
    const discardMe = randomUUID();
    await fetch(`${served.url}/events/backend/task-reminders-dlq`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify(reminderDue(discardMe)),
    });

    const list = await cli(["list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${fromDlq}  task-recurrence-dlq  .*taskbeat\\.task\\.completed\\.v1  task-9$`, "m"),
    );
    expect(list.stdout).toMatch(new RegExp(`^${fromOutbox}  outbox  .*\\(12 attempts: broker down\\)$`, "m"));

    const show = await cli(["show", fromDlq]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)[0]).toMatchObject({
      source: "task-recurrence-dlq",
      event: { id: fromDlq },
    });

    for (const id of [fromDlq, fromOutbox]) {
      const replay = await cli(["replay", id]);
      expect(replay.code, replay.stderr).toBe(0);
    }
    const outbox = await db.sql<{ id: string; topic: string; partition_key: string }[]>`
      select id, topic, partition_key from outbox where id in (${fromDlq}, ${fromOutbox}) order by topic`;
    expect(outbox).toEqual([
      { id: fromOutbox, topic: "task-events", partition_key: "task-7" },
      { id: fromDlq, topic: "task-recurrence", partition_key: "task-9" },
    ]);
    const left = await db.sql`
      select 1 from dead_letters where event_id = ${fromDlq} union all select 1 from outbox_dead where id = ${fromOutbox}`;
    expect(left).toHaveLength(0);

    const discard = await cli(["discard", discardMe]);
    expect(discard.code).toBe(0);
    expect(await db.sql`select 1 from dead_letters where event_id = ${discardMe}`).toHaveLength(0);

    const missing = await cli(["replay", randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No dead letter with the id .*dead-letters list/);
  }, 60_000);
});
