import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  contextFor,
  countRows,
  eventsFor,
  expectCode,
  hoursFromNow,
  insertUser,
  remindersOf,
} from "../../test/support/task-fixtures.js";
import { zonedIso } from "../_shared/domain/dates.js";
import { getTask } from "../_shared/domain/tasks.js";
import addTask from "./add_task.tool.js";

const db = useTestDb("add_task");

async function setup(options: Parameters<typeof insertUser>[1] = {}) {
  const user = await insertUser(db.sql, options);
  return { user, ctx: contextFor(db.sql, user) };
}

async function labels(userId: string) {
  const [category] = await db.sql<{ id: string }[]>`
    insert into categories (user_id, name) values (${userId}, 'Home') returning id`;
  const tags = await db.sql<{ id: string }[]>`
    insert into tags (user_id, name) select ${userId}, 'tag' || n from generate_series(1, 11) n returning id`;
  return { categoryId: category?.id as string, tagIds: tags.map((tag) => tag.id) };
}

describe("add_task", () => {
  it("creates a task with defaults, trimmed, in the user's zone", async () => {
    const { user, ctx } = await setup({ timeZone: "America/New_York" });
    const { task } = await call(addTask, ctx, { title: "  Buy milk  ", description: "   " });
    expect(task).toMatchObject({
      title: "Buy milk",
      description: null,
      completed: false,
      completed_at: null,
      priority: "medium",
      due_date: null,
      category: null,
      tags: [],
      recurrence_rule: null,
      time_zone: "America/New_York",
      series_id: null,
      version: 1,
    });
    const [row] = await db.sql`select user_id from tasks where id = ${task.id}`;
    expect(row?.user_id).toBe(user.id);
  });

  it("stores every field: category, tags, priority in any case, a date alone as the end of that day", async () => {
    const { user, ctx } = await setup({ timeZone: "Europe/Berlin" });
    const { categoryId, tagIds } = await labels(user.id);
    const { task } = await call(addTask, ctx, {
      title: "Taxes",
      description: "All the receipts",
      priority: "URGENT",
      due_date: "2099-04-30",
      category_id: categoryId,
      tag_ids: [tagIds[0] as string, tagIds[1] as string, tagIds[0] as string],
    });
    expect(task.priority).toBe("urgent");
    expect(task.due_date).toBe("2099-04-30T21:59:59.000Z");
    expect(task.category).toEqual({ id: categoryId, name: "Home", color: null });
    expect(task.tags.map((tag) => tag.id).sort()).toEqual([tagIds[0], tagIds[1]].sort());
    // The insert builds the task object for its event in SQL: the same object every tool reads back.
    expect(await getTask(ctx, task.id)).toEqual(task);
    expect((await eventsFor(db.sql, task.id))[0]?.data).toEqual(task);
  });

  it("normalises the recurrence rule, starts a series, and gives a rule without a due date one", async () => {
    const { ctx } = await setup({ timeZone: "Europe/Berlin" });
    const { task } = await call(addTask, ctx, {
      title: "Stand-up",
      due_date: "2099-03-02T09:30",
      recurrence_rule: "every weekday",
    });
    expect(task.recurrence_rule).toBe("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    expect(task.series_id).toBe(task.id);
    expect(task.due_date).toBe("2099-03-02T08:30:00.000Z");

    const { task: open } = await call(addTask, ctx, {
      title: "Rent",
      recurrence_rule: "RRULE:FREQ=MONTHLY;BYMONTHDAY=1",
    });
    expect(open.recurrence_rule).toBe("FREQ=MONTHLY;BYMONTHDAY=1");
    const due = new Date(open.due_date as string);
    expect(due.getTime()).toBeGreaterThan(Date.now());
    // The end of the 1st of a month, Berlin time.
    expect(zonedIso(due, "Europe/Berlin")).toMatch(/^\d{4}-\d{2}-01T23:59:59\+0[12]:00$/);
  });

  it("takes another time zone for the task, and reads its dates there", async () => {
    const { ctx } = await setup({ timeZone: "Europe/Berlin" });
    const { task } = await call(addTask, ctx, {
      title: "Call NY",
      due_date: "2099-01-15T09:00",
      time_zone: "america/new_york",
    });
    expect(task.time_zone).toBe("America/New_York");
    expect(task.due_date).toBe("2099-01-15T14:00:00.000Z");
  });

  it("puts taskbeat.task.created.v1 in the outbox with the task, in the same transaction", async () => {
    const { ctx } = await setup();
    const { task } = await call(addTask, ctx, { title: "Evented" });
    const events = await eventsFor(db.sql, task.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      topic: "task-events",
      partition_key: task.id,
      type: "taskbeat.task.created.v1",
    });
    expect(events[0]?.data).toEqual(task);
  });

  it("schedules the default reminder before a due date, unless it would be past or the user has none", async () => {
    const { ctx } = await setup();
    const due = hoursFromNow(5);
    const { task } = await call(addTask, ctx, { title: "With reminder", due_date: due });
    const reminders = await remindersOf(db.sql, task.id);
    expect(reminders).toEqual([
      expect.objectContaining({
        minutes_before: 60,
        state: "pending",
        remind_at: new Date(Date.parse(due) - 3_600_000),
      }),
    ]);
    const { task: soon } = await call(addTask, ctx, { title: "Too soon", due_date: hoursFromNow(0.5) });
    expect(await remindersOf(db.sql, soon.id)).toEqual([]);
    const { ctx: quiet } = await setup({ defaultReminderMinutes: null });
    const { task: none } = await call(addTask, quiet, { title: "No default", due_date: due });
    expect(await remindersOf(db.sql, none.id)).toEqual([]);
  });

  describe("refuses, writing nothing and emitting nothing", () => {
    it.each([
      [{ title: "   " }, "VALIDATION_ERROR", /needs a title/],
      [{ title: "x".repeat(201) }, "VALIDATION_ERROR", /at most 200 characters; this one has 201/],
      [{ title: "ok", description: "d".repeat(5001) }, "VALIDATION_ERROR", /at most 5000/],
      [
        { title: "ok", priority: "critical" },
        "INVALID_PRIORITY",
        /"critical" is not a priority; use one of low, medium, high, urgent/,
      ],
      [
        { title: "ok", due_date: "the friday after the party" },
        "INVALID_DUE_DATE",
        /due_date "the friday after the party" is not a date I can read/,
      ],
      [{ title: "ok", due_date: "2099-02-30" }, "INVALID_DUE_DATE", /not a real date/],
      [{ title: "ok", recurrence_rule: "FREQ=HOURLY" }, "INVALID_RECURRENCE_RULE", /HOURLY is not supported/],
      [{ title: "ok", recurrence_rule: "whenever" }, "INVALID_RECURRENCE_RULE", /cannot read/],
      [{ title: "ok", time_zone: "Mars/Base" }, "INVALID_TIME_ZONE", /not a time zone I know/],
      [{ title: "ok", category_id: "not-a-uuid" }, "CATEGORY_NOT_FOUND", /No category with id not-a-uuid/],
      [
        { title: "ok", category_id: "00000000-0000-4000-8000-000000000000" },
        "CATEGORY_NOT_FOUND",
        /No category/,
      ],
      [{ title: "ok", tag_ids: ["nope"] }, "TAG_NOT_FOUND", /No tag with id nope/],
      [{ title: "ok", due_date: "0099-12-31" }, "INVALID_DUE_DATE", /years 1900 to 9999/],
      [
        { title: "ok", due_date: "2099-01-01", recurrence_rule: "FREQ=YEARLY;BYMONTH=1;BYDAY=53MO" },
        "INVALID_RECURRENCE_RULE",
        /has no occurrence after the due date/,
      ],
      [
        { title: "ok", due_date: "2099-01-01", recurrence_rule: "FREQ=DAILY;UNTIL=20000101" },
        "INVALID_RECURRENCE_RULE",
        /has no occurrence after the due date/,
      ],
    ])("%# → %s", async (input, code, message) => {
      const { ctx } = await setup();
      const before = [await countRows(db.sql, "tasks"), await countRows(db.sql, "outbox")];
      const error = await expectCode(call(addTask, ctx, input), code);
      expect(error.message).toMatch(message);
      expect([await countRows(db.sql, "tasks"), await countRows(db.sql, "outbox")]).toEqual(before);
    });

    it("more than 10 tags, and another user's category or tag", async () => {
      const { user, ctx } = await setup();
      const { tagIds } = await labels(user.id);
      const error = await expectCode(call(addTask, ctx, { title: "ok", tag_ids: tagIds }), "TOO_MANY_TAGS");
      expect(error.message).toMatch(/at most 10 tags; 11 were given/);
      const other = await labels((await setup()).user.id);
      await expectCode(
        call(addTask, ctx, { title: "ok", category_id: other.categoryId }),
        "CATEGORY_NOT_FOUND",
      );
      await expectCode(
        call(addTask, ctx, { title: "ok", tag_ids: [tagIds[0] as string, other.tagIds[0] as string] }),
        "TAG_NOT_FOUND",
      );
      expect(await db.sql`select 1 from tasks where user_id = ${user.id}`).toHaveLength(0);
    });
  });

  it("reads a due date in words in the task's zone and answers how it read it", async () => {
    const { ctx } = await setup({ timeZone: "Europe/Paris" });
    const answer = await call(addTask, ctx, {
      title: "Dentist",
      due_date: "tomorrow 9am",
      time_zone: "America/New_York",
    });
    const [understood] = answer.understood ?? [];
    expect(understood).toMatchObject({
      field: "due_date",
      input: "tomorrow 9am",
      time_zone: "America/New_York",
    });
    expect(understood?.resolved).toMatch(/^\d{4}-\d{2}-\d{2}T09:00:00-0[45]:00$/);
    expect(new Date(understood?.resolved ?? "").toISOString()).toBe(answer.task.due_date);
    expect(zonedIso(new Date(answer.task.due_date ?? ""), "America/New_York")).toBe(understood?.resolved);
    expect(answer.warnings).toBeUndefined();
    // ISO input answers as before: nothing to explain.
    const iso = await call(addTask, ctx, { title: "Taxes", due_date: "2099-04-15" });
    expect(Object.keys(iso)).toEqual(["task"]);
    const error = await expectCode(
      call(addTask, ctx, { title: "x", due_date: "someday soon" }),
      "INVALID_DUE_DATE",
    );
    expect(error.message).toMatch(/"tomorrow 9am", "next friday", "in 2 hours"/);
  });

  it("accepts a due date in the past but warns, and says when the default reminder was too late", async () => {
    const { ctx } = await setup({ timeZone: "UTC", defaultReminderMinutes: 60 });
    const past = await call(addTask, ctx, { title: "New year", due_date: "2020-01-01" });
    expect(past.task.due_date).toBe("2020-01-01T23:59:59.000Z");
    expect(past.warnings).toEqual([
      expect.stringMatching(/^The due date 2020-01-01T23:59:59\+00:00 is in the past/),
    ]);
    expect(await remindersOf(db.sql, past.task.id)).toEqual([]);

    const soon = await call(addTask, ctx, { title: "Soon", due_date: "in 30 minutes" });
    expect(soon.warnings).toEqual([expect.stringMatching(/^No default reminder was set: .* 60 minutes/)]);
    expect(await remindersOf(db.sql, soon.task.id)).toEqual([]);

    const later = await call(addTask, ctx, { title: "Later", due_date: hoursFromNow(3) });
    expect(later.warnings).toBeUndefined();
    expect(await remindersOf(db.sql, later.task.id)).toHaveLength(1);
  });

  it("request_id: a retried call returns the first call's task, once per user, even when both race", async () => {
    const { user, ctx } = await setup({ defaultReminderMinutes: 60 });
    const input = { title: "Book flights", due_date: hoursFromNow(48), request_id: "req-1" };
    const first = await call(addTask, ctx, input);
    expect(first.warnings).toBeUndefined();
    const retried = await call(addTask, ctx, { ...input, title: "Book flights (retried)" });
    expect(retried.task).toEqual(first.task);
    expect(retried.warnings).toEqual([expect.stringMatching(/^request_id "req-1" was used before/)]);
    const mine = await db.sql`select id from tasks where user_id = ${user.id}`;
    expect(mine).toHaveLength(1);
    expect(await eventsFor(db.sql, first.task.id)).toHaveLength(1);
    expect(await remindersOf(db.sql, first.task.id)).toHaveLength(1);

    // Keys are per user, and a call without one always creates.
    const other = await setup();
    const theirs = await call(addTask, other.ctx, input);
    expect(theirs.task.id).not.toBe(first.task.id);
    const [a, b] = await Promise.all([
      call(addTask, ctx, { title: "x" }),
      call(addTask, ctx, { title: "x" }),
    ]);
    expect(a.task.id).not.toBe(b.task.id);

    const racing = await Promise.all(
      [1, 2, 3].map(() => call(addTask, ctx, { title: "Once", request_id: "req-race" })),
    );
    expect(new Set(racing.map((r) => r.task.id)).size).toBe(1);
    const [{ n } = { n: 0 }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from tasks where user_id = ${user.id} and title = 'Once'`;
    expect(n).toBe(1);
    await expectCode(call(addTask, ctx, { title: "x", request_id: "k".repeat(201) }), "VALIDATION_ERROR");
  });
});
