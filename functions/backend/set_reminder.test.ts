import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  contextFor,
  countRows,
  expectCode,
  hoursFromNow,
  insertUser,
  remindersOf,
} from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import completeTask from "./complete_task.tool.js";
import setReminder from "./set_reminder.tool.js";

const db = useTestDb("set_reminder");

async function setup(due: string | null = hoursFromNow(48)) {
  const user = await insertUser(db.sql, { defaultReminderMinutes: null, timeZone: "Europe/Berlin" });
  const ctx = contextFor(db.sql, user);
  const { task } = await call(addTask, ctx, { title: "Flight", ...(due ? { due_date: due } : {}) });
  return { ctx, task };
}

describe("set_reminder", () => {
  it("stores a reminder at a fixed time, read in the task's zone, and several per task", async () => {
    const { ctx, task } = await setup();
    const { reminder } = await call(setReminder, ctx, { task_id: task.id, remind_at: "2099-01-10T09:00" });
    expect(reminder).toMatchObject({
      task_id: task.id,
      task_title: "Flight",
      remind_at: "2099-01-10T08:00:00.000Z",
      minutes_before: null,
      state: "pending",
    });
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 30 });
    const rows = await remindersOf(db.sql, task.id);
    expect(rows.map((r) => r.minutes_before)).toEqual([null, 30]);
    expect(setReminder.summarize({ reminder })).toBe(
      "Reminder for “Flight” set for Jan 10, 2099, 09:00 (Europe/Berlin).",
    );
  });

  it("counts minutes_before back from the due date", async () => {
    const due = hoursFromNow(10);
    const { ctx, task } = await setup(due);
    const { reminder } = await call(setReminder, ctx, { task_id: task.id, minutes_before: 90 });
    expect(reminder.remind_at).toBe(new Date(Date.parse(due) - 90 * 60_000).toISOString());
    expect(reminder.minutes_before).toBe(90);
  });

  it("returns the pending reminder it already has instead of a second one", async () => {
    const { ctx, task } = await setup();
    const first = await call(setReminder, ctx, { task_id: task.id, minutes_before: 45 });
    const again = await call(setReminder, ctx, { task_id: task.id, minutes_before: 45 });
    expect(again).toEqual(first);
    const fixed = await call(setReminder, ctx, { task_id: task.id, remind_at: "2099-01-10T09:00:00+01:00" });
    expect(await call(setReminder, ctx, { task_id: task.id, remind_at: "2099-01-10T08:00:00Z" })).toEqual(
      fixed,
    );
    expect(await remindersOf(db.sql, task.id)).toHaveLength(2);
  });

  it("refuses with a sentence: a past time, both or neither, no due date, a completed task, a date alone", async () => {
    const { ctx, task } = await setup();
    const before = await countRows(db.sql, "reminders");
    const past = await expectCode(
      call(setReminder, ctx, { task_id: task.id, remind_at: hoursFromNow(-1) }),
      "VALIDATION_ERROR",
    );
    expect(past.message).toMatch(/would be in the past; choose a time after/);
    await expectCode(
      call(setReminder, ctx, { task_id: task.id, minutes_before: 60 * 24 * 3 }),
      "VALIDATION_ERROR",
    );
    const both = await expectCode(
      call(setReminder, ctx, { task_id: task.id, minutes_before: 5, remind_at: hoursFromNow(1) }),
      "VALIDATION_ERROR",
    );
    expect(both.message).toMatch(/either remind_at or minutes_before/);
    await expectCode(call(setReminder, ctx, { task_id: task.id }), "VALIDATION_ERROR");
    const dateOnly = await expectCode(
      call(setReminder, ctx, { task_id: task.id, remind_at: "2099-01-10" }),
      "VALIDATION_ERROR",
    );
    expect(dateOnly.message).toMatch(/needs a time of day/);
    await expectCode(call(setReminder, ctx, { task_id: task.id, remind_at: "at noon" }), "INVALID_DUE_DATE");
    const undated = await setup(null);
    const noDue = await expectCode(
      call(setReminder, undated.ctx, { task_id: undated.task.id, minutes_before: 10 }),
      "INVALID_DUE_DATE",
    );
    expect(noDue.message).toMatch(/no due date to count minutes_before from/);
    await call(completeTask, ctx, { task_id: task.id });
    const done = await expectCode(
      call(setReminder, ctx, { task_id: task.id, minutes_before: 10 }),
      "VALIDATION_ERROR",
    );
    expect(done.message).toMatch(/is completed; reopen it/);
    await expectCode(call(setReminder, ctx, { task_id: "nope", minutes_before: 10 }), "TASK_NOT_FOUND");
    await expectCode(
      call(setReminder, ctx, { task_id: crypto.randomUUID(), minutes_before: 10 }),
      "TASK_NOT_FOUND",
    );
    expect(await countRows(db.sql, "reminders")).toBe(before);
  });

  it("caps pending reminders per task at 20 (LIMIT_REACHED)", async () => {
    const { ctx, task } = await setup(hoursFromNow(24 * 30));
    for (let m = 1; m <= 20; m++) await call(setReminder, ctx, { task_id: task.id, minutes_before: m });
    const error = await expectCode(
      call(setReminder, ctx, { task_id: task.id, minutes_before: 21 }),
      "LIMIT_REACHED",
    );
    expect(error.message).toMatch(/already has 20 pending reminders/);
  });

  it("emits no task event: a reminder is not a change to the task", async () => {
    const { ctx, task } = await setup();
    const outbox = await countRows(db.sql, "outbox");
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 5 });
    expect(await countRows(db.sql, "outbox")).toBe(outbox);
  });

  it("takes remind_at in words, in the task's zone, and says how it read it", async () => {
    const { ctx, task } = await setup();
    const answer = await call(setReminder, ctx, { task_id: task.id, remind_at: "tomorrow 9am" });
    const [understood] = answer.understood ?? [];
    expect(understood).toMatchObject({
      field: "remind_at",
      input: "tomorrow 9am",
      time_zone: "Europe/Berlin",
    });
    expect(understood?.resolved).toMatch(/T09:00:00\+0[12]:00$/);
    expect(Date.parse(understood?.resolved ?? "")).toBe(Date.parse(answer.reminder.remind_at));
    await expectCode(call(setReminder, ctx, { task_id: task.id, remind_at: "tomorrow" }), "VALIDATION_ERROR");
  });
});
