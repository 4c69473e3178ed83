import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, hoursFromNow, insertUser } from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import cancelReminder from "./cancel_reminder.tool.js";
import setReminder from "./set_reminder.tool.js";

const db = useTestDb("cancel_reminder");

async function reminderOf() {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { task } = await call(addTask, ctx, { title: "Pick up parcel" });
  const { reminder } = await call(setReminder, ctx, { task_id: task.id, remind_at: hoursFromNow(5) });
  return { ctx, reminder };
}

describe("cancel_reminder", () => {
  it("cancels a pending reminder, and cancelling it again changes nothing", async () => {
    const { ctx, reminder } = await reminderOf();
    const { reminder: cancelled } = await call(cancelReminder, ctx, { reminder_id: reminder.id });
    expect(cancelled).toEqual({ ...reminder, state: "cancelled" });
    expect(await call(cancelReminder, ctx, { reminder_id: reminder.id })).toEqual({ reminder: cancelled });
    const [row] = await db.sql`select state from reminders where id = ${reminder.id}`;
    expect(row?.state).toBe("cancelled");
  });

  it("refuses one that was already sent", async () => {
    const { ctx, reminder } = await reminderOf();
    await db.sql`update reminders set state = 'sent', sent_at = now() where id = ${reminder.id}`;
    const error = await expectCode(
      call(cancelReminder, ctx, { reminder_id: reminder.id }),
      "VALIDATION_ERROR",
    );
    expect(error.message).toBe("That reminder is already sent, so it cannot be cancelled.");
  });

  it("answers REMINDER_NOT_FOUND for unknown and malformed ids", async () => {
    const { ctx } = await reminderOf();
    await expectCode(call(cancelReminder, ctx, { reminder_id: crypto.randomUUID() }), "REMINDER_NOT_FOUND");
    await expectCode(call(cancelReminder, ctx, { reminder_id: "42" }), "REMINDER_NOT_FOUND");
  });
});
