import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  callResult,
  contextFor,
  expectCode,
  hoursFromNow,
  insertUser,
} from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import cancelReminder from "./cancel_reminder.tool.js";
import listReminders from "./list_reminders.tool.js";
import setReminder from "./set_reminder.tool.js";

const db = useTestDb("list_reminders");

describe("list_reminders", () => {
  it("lists one task's reminders in every state, soonest first", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const { task } = await call(addTask, ctx, { title: "Trip", due_date: hoursFromNow(72) });
    const { reminder: early } = await call(setReminder, ctx, {
      task_id: task.id,
      remind_at: hoursFromNow(1),
    });
    await call(cancelReminder, ctx, { reminder_id: early.id });
    const { reminders, nextCursor } = await call(listReminders, ctx, { task_id: task.id });
    expect(reminders.map((r) => [r.state, r.minutes_before])).toEqual([
      ["cancelled", null],
      ["pending", 60],
    ]);
    expect(nextCursor).toBeNull();
  });

  it("says which reminders are pending, first, and marks the cancelled and sent ones, in the task's zone", async () => {
    const user = await insertUser(db.sql, { timeZone: "Europe/Paris", defaultReminderMinutes: null });
    const ctx = contextFor(db.sql, user);
    const { task } = await call(addTask, ctx, { title: "Trip", due_date: "2099-03-10T18:00" });
    const { reminder: first } = await call(setReminder, ctx, {
      task_id: task.id,
      remind_at: "2099-03-01T09:00",
    });
    const { reminder: sent } = await call(setReminder, ctx, {
      task_id: task.id,
      remind_at: "2099-03-02T09:00",
    });
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 90 });
    await call(cancelReminder, ctx, { reminder_id: first.id });
    await db.sql`update reminders set state = 'sent' where id = ${sent.id}`;
    const result = await callResult(listReminders, ctx, { task_id: task.id });
    expect(result.content[0]).toEqual({
      type: "text",
      text:
        "3 reminders, pending first: “Trip” at Mar 10, 2099, 16:30 (Europe/Paris), 90 minutes before it is due: " +
        "pending; “Trip” at Mar 1, 2099, 09:00 (Europe/Paris): cancelled; “Trip” at Mar 2, 2099, 09:00 " +
        "(Europe/Paris): sent.",
    });
  });

  it("lists all upcoming (pending) reminders across tasks, in pages without duplicates or gaps", async () => {
    const user = await insertUser(db.sql, { defaultReminderMinutes: null });
    const ctx = contextFor(db.sql, user);
    const { task: a } = await call(addTask, ctx, { title: "A" });
    const { task: b } = await call(addTask, ctx, { title: "B" });
    // Equal remind_at on both tasks, so only the id tells the rows apart.
    const times = [2, 3, 3, 4, 5, 5, 6].map((h) => hoursFromNow(h).replace(/\.\d+Z$/, ".000Z"));
    for (const [i, at] of times.entries()) {
      await call(setReminder, ctx, { task_id: (i % 2 ? a : b).id, remind_at: at });
    }
    const { reminder: cancelled } = await call(setReminder, ctx, {
      task_id: a.id,
      remind_at: hoursFromNow(7),
    });
    await call(cancelReminder, ctx, { reminder_id: cancelled.id });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(listReminders, ctx, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.reminders.map((r) => r.id));
      expect(page.reminders.every((r) => r.state === "pending")).toBe(true);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const whole = (await call(listReminders, ctx, {})).reminders;
    expect(whole).toHaveLength(times.length);
    expect(seen).toEqual(whole.map((r) => r.id));
    expect(whole.map((r) => r.remind_at)).toEqual([...whole.map((r) => r.remind_at)].sort());
  });

  it("answers TASK_NOT_FOUND for an unknown task and refuses a cursor of another listing", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    await expectCode(call(listReminders, ctx, { task_id: "bad" }), "TASK_NOT_FOUND");
    await expectCode(call(listReminders, ctx, { task_id: crypto.randomUUID() }), "TASK_NOT_FOUND");
    await expectCode(call(listReminders, ctx, { cursor: "###" }), "VALIDATION_ERROR");
  });
});
