import { describe, expect, inject, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { warmPool } from "../../test/support/label-fixtures.js";
import { whileWaiting } from "../../test/support/locks.js";
import {
  completionEvents,
  deliver,
  handlerContext,
  lastCompletion,
  openTask,
  seriesOf,
} from "../../test/support/recurring-fixtures.js";
import { contextFor, eventsFor, insertUser, remindersOf } from "../../test/support/task-fixtures.js";
import { createCategory } from "../_shared/domain/categories.js";
import type { DomainContext } from "../_shared/domain/context.js";
import { zonedIso } from "../_shared/domain/dates.js";
import { cancelReminder, setReminder } from "../_shared/domain/reminders.js";
import { createTag } from "../_shared/domain/tags.js";
import { addTask, deleteTask, type NewTask } from "../_shared/domain/tasks.js";
import { completeTask, uncompleteTask } from "../_shared/domain/tasks-status.js";
import { updateTask } from "../_shared/domain/tasks-update.js";
import { CONSUMER } from "../_shared/recurring/next-task.js";

const db = useTestDb("recurring-task-completed", { max: 6 });

async function userContext(timeZone = "UTC", defaultReminderMinutes: number | null = null) {
  return contextFor(db.sql, await insertUser(db.sql, { timeZone, defaultReminderMinutes }));
}

/** Completes the task and hands its completion event to the handler; the next task, if one was made. */
async function completeAndDeliver(ctx: DomainContext, taskId: string) {
  const done = await completeTask(ctx, taskId);
  expect(await deliver(db.sql, await lastCompletion(db.sql, taskId))).toBe("SUCCESS");
  const later = (await seriesOf(db.sql, done.series_id ?? taskId)).filter(
    (t) => t.due_at > new Date(done.due_date ?? 0),
  );
  return later[0];
}

/** Adds a repeating task and completes the series occurrence by occurrence: every due date, in the zone. */
async function run(ctx: DomainContext, task: NewTask, completions: number): Promise<string[]> {
  const first = await addTask(ctx, task);
  const zone = first.time_zone;
  let current: { id: string } | undefined = first;
  for (let i = 0; i < completions && current; i++) current = await completeAndDeliver(ctx, current.id);
  return (await seriesOf(db.sql, first.id)).map((t) => zonedIso(t.due_at, zone));
}

describe("recurring: task-completed", () => {
  it("DAILY: creates the next task with the same fields, tags, category and rule, in the same series", async () => {
    const ctx = await userContext();
    const tag = await createTag(ctx, { name: "home" });
    const other = await createTag(ctx, { name: "chores" });
    const category = await createCategory(ctx, { name: "House" });
    const first = await addTask(ctx, {
      title: "Water plants",
      description: "The ones on the balcony",
      priority: "high",
      due_date: "2099-03-10T09:00",
      category_id: category.id,
      tag_ids: [tag.id, other.id],
      recurrence_rule: "every day",
    });
    const next = await completeAndDeliver(ctx, first.id);
    const [created] = await eventsFor(db.sql, next?.id ?? "");
    expect(created).toMatchObject({ topic: "task-events", type: "taskbeat.task.created.v1" });
    expect(created?.data).toMatchObject({
      title: "Water plants",
      description: "The ones on the balcony",
      priority: "high",
      completed: false,
      due_date: "2099-03-11T09:00:00.000Z",
      category: { id: category.id, name: "House" },
      tags: [expect.objectContaining({ name: "chores" }), expect.objectContaining({ name: "home" })],
      recurrence_rule: "FREQ=DAILY",
      time_zone: "UTC",
      series_id: first.id,
      version: 1,
    });
    expect(next?.series_start_at).toEqual(new Date("2099-03-10T09:00:00Z"));
  });

  it("weekly BYDAY: the next listed weekday at the same time", async () => {
    const ctx = await userContext("Europe/Berlin");
    // 2099-03-02 is a Monday.
    const dues = await run(
      ctx,
      { title: "Gym", due_date: "2099-03-02T18:00", recurrence_rule: "FREQ=WEEKLY;BYDAY=MO,TH" },
      3,
    );
    expect(dues).toEqual([
      "2099-03-02T18:00:00+01:00",
      "2099-03-05T18:00:00+01:00",
      "2099-03-09T18:00:00+01:00",
      "2099-03-12T18:00:00+01:00",
    ]);
  });

  it("monthly BYMONTHDAY=31: months without a 31st are skipped", async () => {
    const ctx = await userContext();
    const dues = await run(
      ctx,
      { title: "Rent", due_date: "2099-01-31T10:00", recurrence_rule: "FREQ=MONTHLY;BYMONTHDAY=31" },
      3,
    );
    expect(dues).toEqual([
      "2099-01-31T10:00:00+00:00",
      "2099-03-31T10:00:00+00:00",
      "2099-05-31T10:00:00+00:00",
      "2099-07-31T10:00:00+00:00",
    ]);
  });

  it("COUNT=3: exactly three tasks in the series, even with its first task deleted on the way", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Pills",
      due_date: "2099-06-01T08:00",
      recurrence_rule: "FREQ=DAILY;COUNT=3",
    });
    const second = await completeAndDeliver(ctx, first.id);
    await deleteTask(ctx, first.id);
    const third = await completeAndDeliver(ctx, second?.id ?? "");
    expect(await completeAndDeliver(ctx, third?.id ?? "")).toBeUndefined();
    const series = await seriesOf(db.sql, first.id);
    expect(series.map((t) => [t.due_at.toISOString(), t.recurrence_rule])).toEqual([
      ["2099-06-02T08:00:00.000Z", "FREQ=DAILY;COUNT=3"],
      ["2099-06-03T08:00:00.000Z", "FREQ=DAILY;COUNT=3"],
    ]);
    expect(series.every((t) => t.completed)).toBe(true);
  });

  it("a rule changed on a later task starts the series anew there; a moved due date does not", async () => {
    const ctx = await userContext();
    // 2099-03-10 is a Tuesday.
    const first = await addTask(ctx, {
      title: "Review",
      due_date: "2099-03-10T09:00",
      recurrence_rule: "every day",
    });
    const third = await completeAndDeliver(ctx, (await completeAndDeliver(ctx, first.id))?.id ?? "");
    expect(third?.due_at.toISOString()).toBe("2099-03-12T09:00:00.000Z");

    // Every 2 weeks counted from this task (the 12th), not from the first (the 10th, which gives the 24th).
    await updateTask(ctx, third?.id ?? "", { recurrence_rule: "FREQ=WEEKLY;INTERVAL=2" });
    // Then moved itself: the new rule still counts from where it was set (the 12th at 09:00).
    await updateTask(ctx, third?.id ?? "", { due_date: "2099-03-13T10:00" });
    const fourth = await completeAndDeliver(ctx, third?.id ?? "");
    expect(fourth?.due_at.toISOString()).toBe("2099-03-26T09:00:00.000Z");
    expect(fourth?.series_start_at?.toISOString()).toBe("2099-03-12T09:00:00.000Z");

    // Moving one task (this one only) keeps the series' rhythm and time of day.
    await updateTask(ctx, fourth?.id ?? "", { due_date: "2099-03-27T11:00" });
    const fifth = await completeAndDeliver(ctx, fourth?.id ?? "");
    expect(fifth?.due_at.toISOString()).toBe("2099-04-09T09:00:00.000Z");

    // COUNT counts from the new start too: two more tasks, this one included.
    await updateTask(ctx, fifth?.id ?? "", { recurrence_rule: "FREQ=DAILY;COUNT=2" });
    const sixth = await completeAndDeliver(ctx, fifth?.id ?? "");
    expect(sixth?.due_at.toISOString()).toBe("2099-04-10T09:00:00.000Z");
    expect(await completeAndDeliver(ctx, sixth?.id ?? "")).toBeUndefined();
  });

  it("UNTIL: the series ends on its last day", async () => {
    const ctx = await userContext("America/New_York");
    const dues = await run(
      ctx,
      { title: "Log", due_date: "2099-03-11T21:00", recurrence_rule: "FREQ=DAILY;UNTIL=20990313" },
      5,
    );
    expect(dues).toEqual([
      "2099-03-11T21:00:00-04:00",
      "2099-03-12T21:00:00-04:00",
      "2099-03-13T21:00:00-04:00",
    ]);
  });

  it.each([
    [
      "Europe/Berlin",
      "2099-03-28T09:00",
      ["2099-03-28T09:00:00+01:00", "2099-03-29T09:00:00+02:00", "2099-03-30T09:00:00+02:00"],
    ],
    [
      "Europe/Berlin",
      "2099-10-24T09:00",
      ["2099-10-24T09:00:00+02:00", "2099-10-25T09:00:00+01:00", "2099-10-26T09:00:00+01:00"],
    ],
    [
      "America/New_York",
      "2099-03-07T09:00",
      ["2099-03-07T09:00:00-05:00", "2099-03-08T09:00:00-04:00", "2099-03-09T09:00:00-04:00"],
    ],
    [
      "America/New_York",
      "2099-10-31T09:00",
      ["2099-10-31T09:00:00-04:00", "2099-11-01T09:00:00-05:00", "2099-11-02T09:00:00-05:00"],
    ],
  ])("DST in %s from %s: 09:00 local before and after the change", async (zone, due, expected) => {
    const ctx = await userContext(zone);
    expect(await run(ctx, { title: "Standup", due_date: due, recurrence_rule: "FREQ=DAILY" }, 2)).toEqual(
      expected,
    );
  });

  it("completed long after the due date: one task, at the first occurrence after the completion", async () => {
    const ctx = await userContext();
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    const first = await addTask(ctx, {
      title: "Stretch",
      due_date: `${tenDaysAgo}T09:00`,
      recurrence_rule: "FREQ=DAILY",
    });
    const before = Date.now();
    const next = await completeAndDeliver(ctx, first.id);
    expect(await seriesOf(db.sql, first.id)).toHaveLength(2);
    const due = next?.due_at.getTime() ?? 0;
    expect(due).toBeGreaterThan(before);
    expect(due - before).toBeLessThanOrEqual(86_400_000);
    expect(next?.due_at.toISOString().slice(11)).toBe("09:00:00.000Z");
  });

  it("carries the reminder offsets of the completed task and adds the user's default", async () => {
    const ctx = await userContext("UTC", 60);
    const first = await addTask(ctx, {
      title: "Call mum",
      due_date: "2099-04-01T18:00",
      recurrence_rule: "FREQ=WEEKLY",
    });
    await setReminder(ctx, { task_id: first.id, minutes_before: 15 });
    const dropped = await setReminder(ctx, { task_id: first.id, minutes_before: 120 });
    await cancelReminder(ctx, dropped.id);
    await setReminder(ctx, { task_id: first.id, remind_at: "2099-04-01T12:00" });
    // One that already fired before the completion comes back as well.
    await setReminder(ctx, { task_id: first.id, minutes_before: 1440 });
    await db.sql`update reminders set state = 'sent' where task_id = ${first.id} and minutes_before = 1440`;
    const next = await completeAndDeliver(ctx, first.id);
    const reminders = await remindersOf(db.sql, next?.id ?? "");
    expect(reminders.map((r) => [r.minutes_before, r.remind_at.toISOString(), r.state]).sort()).toEqual([
      [1440, "2099-04-07T18:00:00.000Z", "pending"],
      [15, "2099-04-08T17:45:00.000Z", "pending"],
      [60, "2099-04-08T17:00:00.000Z", "pending"],
    ]);
  });

  it("leaves out the user's default when the person cancelled it on the completed task", async () => {
    const ctx = await userContext("UTC", 30);
    const first = await addTask(ctx, {
      title: "No nagging",
      due_date: "2099-04-01T18:00",
      recurrence_rule: "FREQ=DAILY",
    });
    const [fallback] = await remindersOf(db.sql, first.id);
    await cancelReminder(ctx, fallback?.id ?? "");
    const next = await completeAndDeliver(ctx, first.id);
    expect(await remindersOf(db.sql, next?.id ?? "")).toEqual([]);
  });

  it("the same event delivered twice creates one task; the second delivery succeeds", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Twice",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    const event = await lastCompletion(db.sql, first.id);
    let kicks = 0;
    const base = handlerContext(db.sql, () => kicks++);
    expect(await deliver(db.sql, event, base)).toBe("SUCCESS");
    expect(await deliver(db.sql, event, base)).toBe("SUCCESS");
    expect(await seriesOf(db.sql, first.id)).toHaveLength(2);
    expect(kicks).toBe(1);
    const [inbox] =
      await db.sql`select count(*)::int as n from processed_events where consumer = ${CONSUMER} and event_id = ${event.id}`;
    expect(inbox?.n).toBe(1);
  });

  it("complete → uncomplete → complete: one next task, however the two events are handled", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Flip",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeAndDeliver(ctx, first.id);
    await uncompleteTask(ctx, first.id);
    await completeAndDeliver(ctx, first.id);
    // A later completion time would put the next one a day later: "a later task exists" still holds.
    await uncompleteTask(ctx, first.id);
    await completeTask(ctx, first.id);
    await db.sql`update tasks set completed_at = '2099-05-02T10:00Z' where id = ${first.id}`;
    expect(await deliver(db.sql, await lastCompletion(db.sql, first.id))).toBe("SUCCESS");
    expect(await completionEvents(db.sql, first.id)).toHaveLength(3);
    expect((await seriesOf(db.sql, first.id)).map((t) => t.due_at.toISOString())).toEqual([
      "2099-05-01T09:00:00.000Z",
      "2099-05-02T09:00:00.000Z",
    ]);
  });

  it("two completion events of one task handled at the same time create one task", async () => {
    await warmPool(db.sql, 4);
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Race",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    const event = await lastCompletion(db.sql, first.id);
    const statuses = await Promise.all([
      deliver(db.sql, event),
      deliver(db.sql, { ...event, id: crypto.randomUUID() }),
    ]);
    expect(statuses).toEqual(["SUCCESS", "SUCCESS"]);
    expect(await seriesOf(db.sql, first.id)).toHaveLength(2);
  });

  // Lock order needs two sessions; embedded PGlite has one.
  it.runIf(!inject("databaseIsEmbedded")).each(["categories", "tags"] as const)(
    "takes the %s' locks before the task's, so it cannot deadlock with deleting one (needs a PostgreSQL server)",
    async (table) => {
      const ctx = await userContext();
      const tag = await createTag(ctx, { name: "errand" });
      const category = await createCategory(ctx, { name: "Errands" });
      const first = await addTask(ctx, {
        title: "Post office",
        due_date: "2099-05-01T09:00",
        recurrence_rule: "FREQ=DAILY",
        category_id: category.id,
        tag_ids: [tag.id],
      });
      await completeTask(ctx, first.id);
      const event = await lastCompletion(db.sql, first.id);
      const label = table === "tags" ? tag.id : category.id;
      // What delete_category and delete_tag do: the label FOR UPDATE, then the delete reaches the task.
      const { blocked, meanwhile } = await whileWaiting(
        db.sql,
        (tx) => tx`select 1 from ${tx(table)} where id = ${label} for update`,
        () => deliver(db.sql, event),
        (tx) => tx`delete from ${tx(table)} where id = ${label}`,
      );
      expect(meanwhile).toBeUndefined();
      expect(await blocked).toBe("SUCCESS");
      const next = await openTask(db.sql, first.id);
      const [created] = await eventsFor(db.sql, next.id);
      expect(created?.data).toMatchObject(
        table === "tags"
          ? { tags: [], category: { id: category.id } }
          : { category: null, tags: [{ id: tag.id }] },
      );
    },
  );

  it("a task reopened before its event is handled gets no next task until it is completed again", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Reopened",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    const stale = await lastCompletion(db.sql, first.id);
    await uncompleteTask(ctx, first.id);
    expect(await deliver(db.sql, stale)).toBe("SUCCESS");
    expect(await seriesOf(db.sql, first.id)).toHaveLength(1);
    expect(await completeAndDeliver(ctx, first.id)).toBeDefined();
    expect((await openTask(db.sql, first.id)).due_at.toISOString()).toBe("2099-05-02T09:00:00.000Z");
  });

  it("a task deleted before its event is handled gets no next task (the delete came later)", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Gone",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    const event = await lastCompletion(db.sql, first.id);
    await deleteTask(ctx, first.id);
    expect(await deliver(db.sql, event)).toBe("SUCCESS");
    expect(await seriesOf(db.sql, first.id)).toEqual([]);
  });

  it("a rule that no longer parses is dropped (dead-lettered), with nothing written", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Odd",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    await db.sql`update tasks set recurrence_rule = 'FREQ=HOURLY' where id = ${first.id}`;
    const event = await lastCompletion(db.sql, first.id);
    expect(await deliver(db.sql, event)).toBe("DROP");
    expect(await seriesOf(db.sql, first.id)).toHaveLength(1);
    const inbox = await db.sql`select 1 from processed_events where event_id = ${event.id}`;
    expect(inbox).toHaveLength(0);
  });

  it("drops events that are not a completed task", async () => {
    const ctx = await userContext();
    const first = await addTask(ctx, {
      title: "Typed",
      due_date: "2099-05-01T09:00",
      recurrence_rule: "FREQ=DAILY",
    });
    await completeTask(ctx, first.id);
    const event = await lastCompletion(db.sql, first.id);
    expect(await deliver(db.sql, { ...event, type: "taskbeat.task.updated.v1" })).toBe("DROP");
    expect(await deliver(db.sql, { ...event, data: { id: first.id } })).toBe("DROP");
    expect(await seriesOf(db.sql, first.id)).toHaveLength(1);
  });
});
