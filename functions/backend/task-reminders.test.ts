/**
 * How reminders follow a task through due-date moves, completion and reopening: one the person cancelled
 * stays cancelled, those that completion or a cleared due date cancelled come back.
 */
import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, hoursFromNow, insertUser, remindersOf } from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import cancelReminder from "./cancel_reminder.tool.js";
import completeTask from "./complete_task.tool.js";
import setReminder from "./set_reminder.tool.js";
import uncompleteTask from "./uncomplete_task.tool.js";
import updateTask from "./update_task.tool.js";

const db = useTestDb("task-reminders");

async function dueTask(hours = 24) {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { task } = await call(addTask, ctx, { title: "Dentist", due_date: hoursFromNow(hours) });
  return { ctx, task };
}

/** The pending reminders as [minutes_before, remind_at ms], sorted. */
async function pending(taskId: string): Promise<Array<[number | null, number]>> {
  const rows = (await remindersOf(db.sql, taskId)).filter((r) => r.state === "pending");
  return rows
    .map((r): [number | null, number] => [r.minutes_before, r.remind_at.getTime()])
    .sort((a, b) => a[1] - b[1]);
}

const reasons = async (taskId: string) =>
  (
    await db.sql<{ reason: string | null }[]>`
      select cancel_reason as reason from reminders where task_id = ${taskId} and state = 'cancelled'
      order by created_at, remind_at`
  ).map((row) => row.reason);

describe("reminders the person cancelled", () => {
  it("stay cancelled when the due date moves; the ones they kept follow it", async () => {
    const { ctx, task } = await dueTask();
    const [byDefault] = await remindersOf(db.sql, task.id);
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
    await call(cancelReminder, ctx, { reminder_id: byDefault?.id as string });
    const newDue = hoursFromNow(48);
    await call(updateTask, ctx, { task_id: task.id, due_date: newDue });
    expect(await pending(task.id)).toEqual([[15, Date.parse(newDue) - 15 * 60_000]]);
    const later = hoursFromNow(72);
    await call(updateTask, ctx, { task_id: task.id, due_date: later });
    expect(await pending(task.id)).toEqual([[15, Date.parse(later) - 15 * 60_000]]);
  });

  it("stay cancelled when the task is completed and reopened", async () => {
    const { ctx, task } = await dueTask();
    const [byDefault] = await remindersOf(db.sql, task.id);
    await call(cancelReminder, ctx, { reminder_id: byDefault?.id as string });
    await call(completeTask, ctx, { task_id: task.id });
    await call(uncompleteTask, ctx, { task_id: task.id });
    expect(await pending(task.id)).toEqual([]);
    await call(updateTask, ctx, { task_id: task.id, due_date: hoursFromNow(30) });
    expect(await pending(task.id)).toEqual([]);
  });

  it("come back only when set again", async () => {
    const { ctx, task } = await dueTask();
    const [byDefault] = await remindersOf(db.sql, task.id);
    await call(cancelReminder, ctx, { reminder_id: byDefault?.id as string });
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 60 });
    const newDue = hoursFromNow(48);
    await call(updateTask, ctx, { task_id: task.id, due_date: newDue });
    expect(await pending(task.id)).toEqual([[60, Date.parse(newDue) - 60 * 60_000]]);
  });
});

describe("reopening a task", () => {
  it("restores the reminders completion cancelled, its own offsets and future fixed times", async () => {
    const { ctx, task } = await dueTask();
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 120 });
    const fixedAt = hoursFromNow(3);
    await call(setReminder, ctx, { task_id: task.id, remind_at: fixedAt });
    const { reminder: passing } = await call(setReminder, ctx, {
      task_id: task.id,
      remind_at: hoursFromNow(1),
    });
    const before = await pending(task.id);
    await call(completeTask, ctx, { task_id: task.id });
    expect(await pending(task.id)).toEqual([]);
    // While the task was done, one fixed time went by: it is not brought back into the past.
    await db.sql`update reminders set remind_at = now() - interval '1 minute' where id = ${passing.id}`;
    await call(uncompleteTask, ctx, { task_id: task.id });
    const expected = before.filter(([, at]) => at !== Date.parse(passing.remind_at));
    expect(await pending(task.id)).toEqual(expected);
    expect(expected.map(([minutes]) => minutes).sort()).toEqual([120, 15, 60, null].sort());
    // Another round restores each once, not once per earlier completion.
    await call(completeTask, ctx, { task_id: task.id });
    await call(uncompleteTask, ctx, { task_id: task.id });
    expect(await pending(task.id)).toEqual(expected);
  });

  it("leaves out one cancelled after it was restored", async () => {
    const { ctx, task } = await dueTask();
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
    await call(completeTask, ctx, { task_id: task.id });
    await call(uncompleteTask, ctx, { task_id: task.id });
    const restored = (await remindersOf(db.sql, task.id)).filter(
      (r) => r.state === "pending" && r.minutes_before === 15,
    );
    expect(restored).toHaveLength(1);
    await call(cancelReminder, ctx, { reminder_id: restored[0]?.id as string });
    await call(completeTask, ctx, { task_id: task.id });
    await call(uncompleteTask, ctx, { task_id: task.id });
    expect((await pending(task.id)).map(([minutes]) => minutes)).toEqual([60]);
  });
});

describe("a cleared due date", () => {
  it("brings the offsets back when a due date is set again", async () => {
    const { ctx, task } = await dueTask();
    await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
    await call(updateTask, ctx, { task_id: task.id, clear: ["due_date"] });
    expect(await pending(task.id)).toEqual([]);
    const due = hoursFromNow(30);
    await call(updateTask, ctx, { task_id: task.id, due_date: due });
    expect(await pending(task.id)).toEqual([
      [60, Date.parse(due) - 60 * 60_000],
      [15, Date.parse(due) - 15 * 60_000],
    ]);
  });
});

it("records why each reminder was cancelled", async () => {
  const { ctx, task } = await dueTask();
  const [byDefault] = await remindersOf(db.sql, task.id);
  await call(setReminder, ctx, { task_id: task.id, minutes_before: 15 });
  await call(setReminder, ctx, { task_id: task.id, minutes_before: 30 });
  await call(cancelReminder, ctx, { reminder_id: byDefault?.id as string });
  await call(updateTask, ctx, { task_id: task.id, due_date: hoursFromNow(30) });
  await call(updateTask, ctx, { task_id: task.id, clear: ["due_date"] });
  await call(setReminder, ctx, { task_id: task.id, remind_at: hoursFromNow(5) });
  await call(completeTask, ctx, { task_id: task.id });
  expect((await reasons(task.id)).sort()).toEqual(
    ["user", "moved", "moved", "due_cleared", "due_cleared", "completed"].sort(),
  );
});
