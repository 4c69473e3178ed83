/** Claiming due reminders: what is claimed, what is cancelled, what is left alone, and batching. */

import * as v from "valibot";
import { beforeEach, describe, expect, it } from "vitest";
import {
  reminderEvents,
  reminderStates,
  seedReminders,
  seedTasks,
  seedUser,
} from "../../../test/support/claim-fixtures.js";
import { useTestDb } from "../../../test/support/db.js";
import { claimDueReminders } from "./claim.js";
import { REMINDER_DUE_TYPE, ReminderDueSchema } from "./claim-event.js";

const db = useTestDb("reminders-claim");

let kicks = 0;
const ctx = () => ({ sql: db.sql, onEventsCommitted: () => void kicks++ });

beforeEach(async () => {
  await db.sql`delete from outbox`;
  await db.sql`delete from reminders`;
  kicks = 0;
});

describe("claimDueReminders", () => {
  it("publishes each due pending reminder with exactly one event, and leaves future ones pending", async () => {
    const user = await seedUser(db.sql);
    const tasks = await seedTasks(db.sql, user, 3, { dueInSeconds: 600 });
    const due = await seedReminders(db.sql, tasks, { inSeconds: -120, stepSeconds: 10 });
    const future = await seedReminders(db.sql, tasks, { inSeconds: 300 });

    const result = await claimDueReminders(ctx());

    expect(result).toEqual({
      published: 3,
      cancelled: 0,
      republished: 0,
      gaveUp: 0,
      givenUp: [],
      batches: 1,
      more: false,
    });
    expect(kicks).toBe(1);
    const states = await reminderStates(db.sql, [...due, ...future]);
    for (const row of states) {
      expect(row, row.id).toMatchObject(
        due.includes(row.id) ? { state: "published", attempts: 1 } : { state: "pending", attempts: 0 },
      );
    }
    const events = await reminderEvents(db.sql);
    expect(events.map((e) => e.event.subject)).toEqual(due); // oldest first
    const [task] = await db.sql<{ due_at: Date }[]>`select due_at from tasks where id = ${tasks[0] ?? ""}`;
    const [reminder] = await db.sql<
      { remind_at: Date }[]
    >`select remind_at from reminders where id = ${due[0] ?? ""}`;
    expect(events[0]).toEqual({
      topic: "task-reminders",
      partition_key: due[0],
      event: expect.objectContaining({
        type: REMINDER_DUE_TYPE,
        subject: due[0],
        data: {
          reminder_id: due[0],
          task_id: tasks[0],
          user_id: user,
          remind_at: reminder?.remind_at.toISOString(),
          due_at: task?.due_at.toISOString(),
        },
      }),
    });
    for (const { event } of events) expect(v.is(ReminderDueSchema, event.data)).toBe(true);
  });

  it("claims nothing on a second tick", async () => {
    const user = await seedUser(db.sql);
    await seedReminders(db.sql, await seedTasks(db.sql, user, 2), { inSeconds: -1 });
    expect((await claimDueReminders(ctx())).published).toBe(2);

    expect(await claimDueReminders(ctx())).toEqual({
      published: 0,
      cancelled: 0,
      republished: 0,
      gaveUp: 0,
      givenUp: [],
      batches: 1,
      more: false,
    });
    expect(await reminderEvents(db.sql)).toHaveLength(2);
    expect(kicks).toBe(1);
  });

  it("cancels, without an event, the due reminders of completed tasks", async () => {
    const user = await seedUser(db.sql);
    const done = await seedReminders(db.sql, await seedTasks(db.sql, user, 2, { completed: true }), {
      inSeconds: -60,
    });
    const open = await seedReminders(db.sql, await seedTasks(db.sql, user, 1, { dueInSeconds: null }), {
      inSeconds: -60,
    });

    expect(await claimDueReminders(ctx())).toMatchObject({ published: 1, cancelled: 2 });

    const states = await reminderStates(db.sql, [...done, ...open]);
    expect(states.filter((r) => r.state === "cancelled").map((r) => r.id)).toEqual(
      expect.arrayContaining(done),
    );
    expect(states.find((r) => r.id === open[0])).toMatchObject({ state: "published", attempts: 1 });
    const events = await reminderEvents(db.sql);
    expect(events.map((e) => e.event.subject)).toEqual(open);
    expect(events[0]?.event.data).toMatchObject({ due_at: null });
  });

  it("leaves reminders that are not pending alone, however overdue", async () => {
    const user = await seedUser(db.sql);
    const tasks = await seedTasks(db.sql, user, 1);
    const others = (
      await Promise.all(
        ["published", "sent", "cancelled", "failed"].map((state) =>
          seedReminders(db.sql, tasks, { inSeconds: -600, state }),
        ),
      )
    ).flat();

    expect(await claimDueReminders(ctx())).toMatchObject({ published: 0, cancelled: 0 });
    expect((await reminderStates(db.sql, others)).map((r) => r.attempts)).toEqual([0, 0, 0, 0]);
    expect(await reminderEvents(db.sql)).toEqual([]);
  });

  it("drains a backlog in batches, one transaction each", async () => {
    const user = await seedUser(db.sql);
    const due = await seedReminders(db.sql, await seedTasks(db.sql, user, 5), {
      inSeconds: -100,
      stepSeconds: 1,
      perTask: 5,
    });

    expect(await claimDueReminders(ctx(), { batchSize: 10 })).toEqual({
      published: 25,
      cancelled: 0,
      republished: 0,
      gaveUp: 0,
      givenUp: [],
      batches: 3,
      more: false,
    });
    expect(kicks).toBe(3);
    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual(due);
  });

  it("stops at its budget after a full batch and says there is more", async () => {
    const user = await seedUser(db.sql);
    await seedReminders(db.sql, await seedTasks(db.sql, user, 5), { inSeconds: -10, perTask: 3 });

    expect(await claimDueReminders(ctx(), { batchSize: 4, budgetMs: 0 })).toEqual({
      published: 4,
      cancelled: 0,
      republished: 0,
      gaveUp: 0,
      givenUp: [],
      batches: 1,
      more: true,
    });
    const aborted = AbortSignal.abort();
    expect(await claimDueReminders(ctx(), { batchSize: 4, signal: aborted })).toMatchObject({
      published: 4,
      more: true,
    });
    expect(await claimDueReminders(ctx(), { batchSize: 4 })).toMatchObject({ published: 7, batches: 2 });
  });

  it("rejects a batch size below one", async () => {
    await expect(claimDueReminders(ctx(), { batchSize: 0 })).rejects.toThrow(RangeError);
  });
});
