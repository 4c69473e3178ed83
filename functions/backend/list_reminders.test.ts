import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, hoursFromNow, insertUser } from "../../test/support/task-fixtures.js";
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
