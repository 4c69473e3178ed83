/**
 * The events the claim and the sweep build in SQL (announce.ts) are exactly those enqueueEvents would
 * write for the same reminders: same envelope, `reminderDueData` of the row as postgres.js reads it
 * (timestamps truncated to milliseconds, a null due date), the row id as event id, the reminder id as
 * subject and partition key, one fresh id per event, inserted oldest first.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { outboxCloudEvent, PUBSUB, TOPICS } from "../../../runtime/outbox/enqueue.js";
import { seedReminders, seedTasks, seedUser } from "../../../test/support/claim-fixtures.js";
import { useTestDb } from "../../../test/support/db.js";
import { claimDueReminders } from "./claim.js";
import { REMINDER_DUE_TYPE, reminderDueData } from "./claim-event.js";

const db = useTestDb("reminders-announce");

beforeEach(async () => {
  await db.sql`delete from outbox`;
  await db.sql`delete from reminders`;
});

interface OutboxRow {
  seq: string;
  id: string;
  pubsub: string;
  topic: string;
  partition_key: string;
  event: { id: string; time: string; subject: string };
}

const outboxRows = () =>
  db.sql<OutboxRow[]>`select seq, id, pubsub, topic, partition_key, event from outbox order by seq`;

/** The reminders (with their task's due date) as the JS path read them before building events. */
const reminderRows = (ids: readonly string[]) =>
  db.sql<{ id: string; task_id: string; user_id: string; remind_at: Date; due_at: Date | null }[]>`
    select r.id, r.task_id, r.user_id, r.remind_at, t.due_at
    from reminders r join tasks t on t.id = r.task_id
    where r.id = any(${ids as string[]}::uuid[])`;

/** Every outbox row against what enqueueEvents would have inserted for its reminder. */
async function expectAsEnqueueEventsWrites(ids: readonly string[], before: number) {
  const rows = await outboxRows();
  const reminders = new Map((await reminderRows(ids)).map((row) => [row.id, row]));
  expect(rows.map((row) => row.partition_key).sort()).toEqual([...ids].sort());
  for (const row of rows) {
    const reminder = reminders.get(row.partition_key);
    if (!reminder) throw new Error(`no reminder ${row.partition_key}`);
    const expected = outboxCloudEvent(
      row.id,
      {
        type: REMINDER_DUE_TYPE,
        subject: reminder.id,
        data: reminderDueData(reminder),
      },
      undefined,
    );
    expect(row).toMatchObject({ pubsub: PUBSUB, topic: TOPICS.taskReminders, partition_key: reminder.id });
    expect(row.event).toEqual({ ...expected, time: row.event.time });
    expect(new Date(row.event.time).toISOString()).toBe(row.event.time);
    expect(Date.parse(row.event.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(row.event.time)).toBeLessThanOrEqual(Date.now());
  }
  expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
  for (const row of rows)
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  return rows;
}

describe("events built by the claiming statement", () => {
  it("equal enqueueEvents' for the same reminders, with sub-millisecond times and a null due date", async () => {
    const user = await seedUser(db.sql);
    const tasks = await seedTasks(db.sql, user, 4);
    const untimed = await seedTasks(db.sql, user, 1, { dueInSeconds: null });
    const ids = await seedReminders(db.sql, [...tasks, ...untimed], { inSeconds: -60, stepSeconds: 1 });
    // Microseconds the JS Date drops, including .999999 (truncated, never rounded up to the next second).
    await db.sql`
      update reminders set remind_at = date_trunc('second', remind_at) + interval '0.999999 second'
      where id = ${ids[0] ?? ""}`;
    await db.sql`update tasks set due_at = '2031-12-31 23:59:59.999999+00' where id = ${tasks[0] ?? ""}`;
    await db.sql`update tasks set due_at = '1999-01-01 00:00:00.0005+05:30' where id = ${tasks[1] ?? ""}`;
    const before = Date.now() - 1;

    expect(await claimDueReminders({ sql: db.sql })).toMatchObject({ published: 5 });

    const rows = await expectAsEnqueueEventsWrites(ids, before);
    // Oldest first, as the relay should publish them.
    const remindAt = new Map((await reminderRows(ids)).map((row) => [row.id, row.remind_at.getTime()]));
    const times = rows.map((row) => remindAt.get(row.partition_key) ?? Number.NaN);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("equal enqueueEvents' for reminders announced again by the sweep", async () => {
    const user = await seedUser(db.sql);
    const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 3), {
      inSeconds: -3600,
      stepSeconds: 0.000_37,
      state: "published",
    });
    await db.sql`update reminders set attempts = 1, updated_at = now() - interval '1 hour'`;
    const before = Date.now() - 1;

    expect(await claimDueReminders({ sql: db.sql })).toMatchObject({ republished: 3 });

    await expectAsEnqueueEventsWrites(ids, before);
  });
});
