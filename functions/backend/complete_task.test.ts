import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  callResult,
  contextFor,
  eventsFor,
  expectCode,
  hoursFromNow,
  insertUser,
  remindersOf,
} from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import completeTask from "./complete_task.tool.js";
import setReminder from "./set_reminder.tool.js";

const db = useTestDb("complete_task");

describe("complete_task", () => {
  it("marks it done, cancels every pending reminder and emits completed on task-events", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, { title: "Pay bill", due_date: hoursFromNow(24) });
    await call(setReminder, ctx, { task_id: task.id, remind_at: hoursFromNow(3) });
    const { task: done } = await call(completeTask, ctx, { task_id: task.id });
    expect(done).toMatchObject({ completed: true, version: 2 });
    expect(Date.parse(done.completed_at as string)).toBeGreaterThan(Date.now() - 60_000);
    const reminders = await remindersOf(db.sql, task.id);
    expect(reminders.map((r) => r.state)).toEqual(["cancelled", "cancelled"]);
    const events = await eventsFor(db.sql, task.id);
    expect(events.slice(1).map((e) => [e.topic, e.type, e.partition_key, e.data.version])).toEqual([
      ["task-events", "taskbeat.task.completed.v1", task.id, 2],
    ]);
    expect(completeTask.summarize({ task: done, changed: true, next_due_date: null })).toBe(
      "Completed “Pay bill”.",
    );
  });

  it("also puts a repeating task's completion on task-recurrence", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, {
      title: "Water plants",
      due_date: "2099-01-05T08:00",
      recurrence_rule: "every 3 days",
    });
    const { task: done } = await call(completeTask, ctx, { task_id: task.id });
    const events = (await eventsFor(db.sql, task.id)).slice(1);
    expect(events.map((e) => [e.topic, e.type])).toEqual([
      ["task-events", "taskbeat.task.completed.v1"],
      ["task-recurrence", "taskbeat.task.completed.v1"],
    ]);
    expect(events[1]?.data).toEqual(done);
    expect(done).toMatchObject({ recurrence_rule: "FREQ=DAILY;INTERVAL=3", series_id: task.id });
  });

  it("changes nothing and emits nothing for a task already completed", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, { title: "Once", recurrence_rule: "FREQ=WEEKLY" });
    const { task: first } = await call(completeTask, ctx, { task_id: task.id });
    const before = await eventsFor(db.sql, task.id);
    const { task: again } = await call(completeTask, ctx, { task_id: task.id });
    expect(again).toEqual(first);
    expect(await eventsFor(db.sql, task.id)).toEqual(before);
  });

  it("says when the next occurrence will be due, that a series ended, or that nothing changed", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const summary = async (taskId: string) => {
      const result = await callResult(completeTask, ctx, { task_id: taskId });
      return { text: (result.content[0] as { text: string }).text, output: result.structuredContent };
    };
    const { task: repeating } = await call(addTask, ctx, {
      title: "Water plants",
      due_date: "2099-01-05T08:00",
      recurrence_rule: "every 3 days",
    });
    expect(await summary(repeating.id)).toEqual({
      text: "Completed “Water plants”; the next occurrence, due Jan 8, 2099, 08:00 (UTC), will be created shortly.",
      output: expect.objectContaining({ changed: true, next_due_date: "2099-01-08T08:00:00+00:00" }),
    });
    expect((await summary(repeating.id)).text).toBe(
      "“Water plants” was already completed; nothing changed; its next occurrence is due Jan 8, 2099, 08:00 (UTC).",
    );
    const { task: last } = await call(addTask, ctx, {
      title: "Final payment",
      due_date: "2099-01-05T08:00",
      recurrence_rule: "FREQ=MONTHLY;COUNT=1",
    });
    expect(await summary(last.id)).toEqual({
      text: "Completed “Final payment”; that was the last occurrence, its series has ended.",
      output: expect.objectContaining({ changed: true, next_due_date: null }),
    });
    const { task: once } = await call(addTask, ctx, { title: "Once" });
    expect((await summary(once.id)).text).toBe("Completed “Once”.");
    expect((await summary(once.id)).text).toBe("“Once” was already completed; nothing changed.");
  });

  it("lets only one of two racing calls complete it", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, { title: "Race", recurrence_rule: "FREQ=DAILY" });
    await Promise.all([
      call(completeTask, ctx, { task_id: task.id }),
      call(completeTask, ctx, { task_id: task.id }),
    ]);
    const completions = (await eventsFor(db.sql, task.id)).filter((e) => e.topic === "task-recurrence");
    expect(completions).toHaveLength(1);
  });

  it("answers TASK_NOT_FOUND for unknown and malformed ids", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    await expectCode(call(completeTask, ctx, { task_id: crypto.randomUUID() }), "TASK_NOT_FOUND");
    await expectCode(call(completeTask, ctx, { task_id: "1" }), "TASK_NOT_FOUND");
  });
});
