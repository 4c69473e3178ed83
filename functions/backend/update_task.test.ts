import * as v from "valibot";
import { describe, expect, inject, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { whileWaiting } from "../../test/support/locks.js";
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
import addTask from "./add_task.tool.js";
import setReminder from "./set_reminder.tool.js";
import updateTask from "./update_task.tool.js";

const db = useTestDb("update_task");

async function setup() {
  const user = await insertUser(db.sql, { timeZone: "Europe/Berlin" });
  const ctx = contextFor(db.sql, user);
  const [category] = await db.sql<{ id: string }[]>`
    insert into categories (user_id, name) values (${user.id}, 'Work') returning id`;
  const tags = await db.sql<{ id: string }[]>`
    insert into tags (user_id, name) values (${user.id}, 'a'), (${user.id}, 'b'), (${user.id}, 'c') returning id`;
  const { task } = await call(addTask, ctx, {
    title: "Draft",
    description: "notes",
    due_date: "2099-06-01T10:00",
    category_id: category?.id as string,
    tag_ids: [tags[0]?.id as string],
  });
  return { user, ctx, task, categoryId: category?.id as string, tagIds: tags.map((tag) => tag.id) };
}

describe("update_task", () => {
  it("changes only the fields given, bumps the version and emits updated with the new task", async () => {
    const { ctx, task } = await setup();
    const { task: updated } = await call(updateTask, ctx, {
      task_id: task.id,
      title: " Final ",
      priority: "High",
    });
    expect(updated).toMatchObject({ title: "Final", priority: "high", description: "notes", version: 2 });
    expect(updated.due_date).toBe(task.due_date);
    expect(updated.updated_at >= task.updated_at).toBe(true);
    const events = await eventsFor(db.sql, task.id);
    expect(events.map((event) => [event.type, event.data.version])).toEqual([
      ["taskbeat.task.created.v1", 1],
      ["taskbeat.task.updated.v1", 2],
    ]);
    expect(events[1]?.data).toEqual(updated);
  });

  it("clears description, due date, category and recurrence named in clear", async () => {
    const { ctx, task } = await setup();
    await call(updateTask, ctx, { task_id: task.id, recurrence_rule: "FREQ=DAILY" });
    const { task: cleared } = await call(updateTask, ctx, {
      task_id: task.id,
      clear: ["description", "due_date", "category_id", "recurrence_rule"],
    });
    expect(cleared).toMatchObject({
      description: null,
      due_date: null,
      category: null,
      recurrence_rule: null,
    });
  });

  it("keeps every field a strict client sends as null, and refuses a field both given and cleared", async () => {
    const { ctx, task } = await setup();
    const before = (await call(updateTask, ctx, { task_id: task.id, recurrence_rule: "FREQ=DAILY" })).task;
    const { task: moved } = await call(updateTask, ctx, {
      task_id: task.id,
      title: null,
      description: null,
      priority: "high",
      due_date: null,
      category_id: null,
      tag_ids: null,
      recurrence_rule: null,
      time_zone: null,
      clear: null,
    } as never);
    expect(moved).toMatchObject({
      priority: "high",
      description: before.description,
      due_date: before.due_date,
      category: before.category,
      recurrence_rule: before.recurrence_rule,
    });
    const error = await expectCode(
      call(updateTask, ctx, { task_id: task.id, due_date: "2031-01-01", clear: ["due_date"] }),
      "VALIDATION_ERROR",
    );
    expect(error.message).toContain("due_date is both given a value and named in clear");
  });

  it("replaces the tags with tag_ids, and [] removes them all", async () => {
    const { ctx, task, tagIds } = await setup();
    const { task: tagged } = await call(updateTask, ctx, {
      task_id: task.id,
      tag_ids: [tagIds[1] as string, tagIds[2] as string],
    });
    expect(tagged.tags.map((tag) => tag.name)).toEqual(["b", "c"]);
    const { task: bare } = await call(updateTask, ctx, { task_id: task.id, tag_ids: [] });
    expect(bare.tags).toEqual([]);
    expect(bare.version).toBe(3);
  });

  it("changes nothing, bumps nothing and emits nothing when the values are the ones it has", async () => {
    const { ctx, task, categoryId, tagIds } = await setup();
    const { task: same } = await call(updateTask, ctx, {
      task_id: task.id,
      title: "Draft",
      priority: "medium",
      due_date: "2099-06-01T10:00:00+02:00",
      category_id: categoryId,
      tag_ids: [tagIds[0] as string],
      time_zone: "Europe/Berlin",
    });
    expect(same).toEqual(task);
    expect(await eventsFor(db.sql, task.id)).toHaveLength(1);
  });

  it("normalises a new recurrence rule, starts the series, and refuses to drop the due date under it", async () => {
    const { ctx, task } = await setup();
    const { task: repeating } = await call(updateTask, ctx, {
      task_id: task.id,
      recurrence_rule: "every 2 weeks on monday",
    });
    expect(repeating.recurrence_rule).toBe("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO");
    expect(repeating.series_id).toBe(task.id);
    const error = await expectCode(
      call(updateTask, ctx, { task_id: task.id, clear: ["due_date"] }),
      "INVALID_DUE_DATE",
    );
    expect(error.message).toMatch(/needs a due date; to remove it, set recurrence_rule to null as well/);
    const { task: undated } = await call(addTask, ctx, { title: "Someday" });
    const { task: dated } = await call(updateTask, ctx, {
      task_id: undated.id,
      recurrence_rule: "FREQ=DAILY",
    });
    expect(new Date(dated.due_date as string).getTime()).toBeGreaterThan(Date.now());
  });

  it("moves the reminders that follow the due date and leaves fixed ones, cancel + new row", async () => {
    const { ctx } = await setup();
    const { task } = await call(addTask, ctx, { title: "Dentist", due_date: hoursFromNow(24) });
    const fixedAt = hoursFromNow(2);
    const { reminder: fixed } = await call(setReminder, ctx, { task_id: task.id, remind_at: fixedAt });
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
    const [defaultBefore] = (await remindersOf(db.sql, task.id)).filter((r) => r.minutes_before === 60);

    const newDue = hoursFromNow(48);
    await call(updateTask, ctx, { task_id: task.id, due_date: newDue });
    const reminders = await remindersOf(db.sql, task.id);
    const pending = reminders.filter((r) => r.state === "pending");
    expect(pending.map((r) => [r.minutes_before, r.remind_at.getTime()]).sort()).toEqual(
      [
        [null, Date.parse(fixedAt)],
        [15, Date.parse(newDue) - 15 * 60_000],
        [60, Date.parse(newDue) - 60 * 60_000],
      ].sort(),
    );
    expect(pending.find((r) => r.minutes_before === null)?.id).toBe(fixed.id);
    expect(reminders.find((r) => r.id === defaultBefore?.id)?.state).toBe("cancelled");

    await call(updateTask, ctx, { task_id: task.id, clear: ["due_date"] });
    const left = (await remindersOf(db.sql, task.id)).filter((r) => r.state === "pending");
    expect(left.map((r) => r.id)).toEqual([fixed.id]);
  });

  it("refuses bad values with their codes and writes nothing", async () => {
    const { user, ctx, task } = await setup();
    const other = await insertUser(db.sql);
    const [foreign] = await db.sql<{ id: string }[]>`
      insert into categories (user_id, name) values (${other.id}, 'Theirs') returning id`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, "VALIDATION_ERROR"],
      [{ title: "" }, "VALIDATION_ERROR"],
      [{ title: "t".repeat(201) }, "VALIDATION_ERROR"],
      [{ priority: "p0" }, "INVALID_PRIORITY"],
      [{ due_date: "31.12.2099" }, "INVALID_DUE_DATE"],
      [{ recurrence_rule: "FREQ=DAILY;BYHOUR=8" }, "INVALID_RECURRENCE_RULE"],
      [{ time_zone: "Berlin" }, "INVALID_TIME_ZONE"],
      [{ category_id: foreign?.id }, "CATEGORY_NOT_FOUND"],
      [{ tag_ids: Array.from({ length: 11 }, () => crypto.randomUUID()) }, "TOO_MANY_TAGS"],
      [{ tag_ids: ["x"] }, "TAG_NOT_FOUND"],
      // Ids and the tag count are checked before the labels are looked up, in add_task's order.
      [{ category_id: foreign?.id, tag_ids: ["x"] }, "TAG_NOT_FOUND"],
    ];
    const outbox = await countRows(db.sql, "outbox");
    for (const [changes, code] of cases) {
      await expectCode(call(updateTask, ctx, { task_id: task.id, ...changes }), code);
    }
    await expectCode(call(updateTask, ctx, { task_id: "nope", title: "x" }), "TASK_NOT_FOUND");
    await expectCode(call(updateTask, ctx, { task_id: crypto.randomUUID(), title: "x" }), "TASK_NOT_FOUND");
    expect(await countRows(db.sql, "outbox")).toBe(outbox);
    const [row] = await db.sql`select version from tasks where id = ${task.id} and user_id = ${user.id}`;
    expect(row?.version).toBe(1);
  });

  it("is all or nothing: a failure after the tags changed leaves the tags and the outbox as they were", async () => {
    const { ctx, task, tagIds } = await setup();
    // A second occurrence of the series, due at another time; moving the task onto it must fail.
    await call(updateTask, ctx, { task_id: task.id, recurrence_rule: "FREQ=DAILY" });
    const [twin] = await db.sql<{ due_at: Date }[]>`
      insert into tasks (user_id, title, time_zone, due_at, series_id, recurrence_rule)
      select user_id, title, time_zone, due_at + interval '1 day', series_id, recurrence_rule from tasks
      where id = ${task.id} returning due_at`;
    if (!twin) throw new Error("no twin inserted");
    const outbox = await countRows(db.sql, "outbox");
    const error = await expectCode(
      call(updateTask, ctx, {
        task_id: task.id,
        tag_ids: [tagIds[1] as string],
        due_date: twin.due_at.toISOString(),
      }),
      "VALIDATION_ERROR",
    );
    expect(error.message).toMatch(/Another task of this repeating series is already due at that time/);
    const tags = await db.sql`select tag_id from task_tags where task_id = ${task.id}`;
    expect(tags.map((row) => row.tag_id)).toEqual([tagIds[0]]);
    expect(await countRows(db.sql, "outbox")).toBe(outbox);
  });

  it("refuses a rule that never happens from the due date on, whether set, kept or moved past", async () => {
    const { ctx, task } = await setup();
    for (const rule of ["FREQ=YEARLY;BYMONTH=1;BYDAY=53MO", "FREQ=DAILY;UNTIL=20990101"]) {
      const error = await expectCode(
        call(updateTask, ctx, { task_id: task.id, recurrence_rule: rule }),
        "INVALID_RECURRENCE_RULE",
      );
      expect(error.message).toMatch(/has no occurrence after the due date/);
    }
    await call(updateTask, ctx, { task_id: task.id, recurrence_rule: "FREQ=DAILY;UNTIL=20991231" });
    await expectCode(
      call(updateTask, ctx, { task_id: task.id, due_date: "2100-01-05" }),
      "INVALID_RECURRENCE_RULE",
    );
    await expectCode(
      call(updateTask, ctx, {
        task_id: task.id,
        recurrence_rule: "FREQ=DAILY;UNTIL=20991231",
        due_date: "2100-01-05",
      }),
      "INVALID_RECURRENCE_RULE",
    );
    const { task: moved } = await call(updateTask, ctx, { task_id: task.id, due_date: "2099-12-30T10:00" });
    expect(moved.recurrence_rule).toBe("FREQ=DAILY;UNTIL=20991231");
  });

  it.runIf(!inject("databaseIsEmbedded"))(
    "takes the category's lock before the task's, so it cannot deadlock with delete_category",
    async () => {
      const { ctx, task, categoryId } = await setup();
      // What delete_category does: the category FOR UPDATE, then its delete sets the task's category_id.
      const { blocked, meanwhile } = await whileWaiting(
        db.sql,
        (tx) => tx`select 1 from categories where id = ${categoryId} for update`,
        () => call(updateTask, ctx, { task_id: task.id, category_id: categoryId }),
        (tx) => tx`delete from categories where id = ${categoryId}`,
      );
      expect(meanwhile).toBeUndefined();
      await expectCode(blocked, "CATEGORY_NOT_FOUND");
    },
  );

  it("refuses fields it does not have, like completed, at the schema", () => {
    const result = v.safeParse(updateTask.input, { task_id: "x", completed: true });
    expect(result.success).toBe(false);
  });

  it("reads a new due date in words, says how, and warns when it is in the past", async () => {
    const { ctx } = await setup();
    const { task } = await call(addTask, ctx, { title: "Taxes", due_date: "2099-04-15" });
    const moved = await call(updateTask, ctx, { task_id: task.id, due_date: "in 3 hours" });
    expect(moved.understood).toEqual([expect.objectContaining({ field: "due_date", input: "in 3 hours" })]);
    expect(Math.abs(Date.parse(moved.task.due_date ?? "") - (Date.now() + 3 * 3_600_000))).toBeLessThan(
      60_000,
    );
    expect(moved.warnings).toBeUndefined();
    const past = await call(updateTask, ctx, { task_id: task.id, due_date: "2020-04-15" });
    expect(past.task.due_date).toMatch(/^2020-04-1[56]T/);
    expect(past.warnings).toEqual([
      expect.stringMatching(/^The due date 2020-04-15T23:59:59.* is in the past/),
    ]);
    expect(Object.keys(await call(updateTask, ctx, { task_id: task.id, title: "Tax return" }))).toEqual([
      "task",
    ]);
  });
});
