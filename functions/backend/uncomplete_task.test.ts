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
import uncompleteTask from "./uncomplete_task.tool.js";

const db = useTestDb("uncomplete_task");

describe("uncomplete_task", () => {
  it("reopens it, emits uncompleted, and schedules the default reminder again", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const due = hoursFromNow(24);
    const { task } = await call(addTask, ctx, { title: "Again", due_date: due });
    await call(completeTask, ctx, { task_id: task.id });
    const { task: open } = await call(uncompleteTask, ctx, { task_id: task.id });
    expect(open).toMatchObject({ completed: false, completed_at: null, version: 3 });
    const events = await eventsFor(db.sql, task.id);
    expect(events.map((e) => e.type)).toEqual([
      "taskbeat.task.created.v1",
      "taskbeat.task.completed.v1",
      "taskbeat.task.uncompleted.v1",
    ]);
    expect(events[2]?.data).toEqual(open);
    const pending = (await remindersOf(db.sql, task.id)).filter((r) => r.state === "pending");
    expect(pending.map((r) => [r.minutes_before, r.remind_at.getTime()])).toEqual([
      [60, Date.parse(due) - 3_600_000],
    ]);
  });

  it("changes nothing and emits nothing for an open task", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, { title: "Open" });
    const result = await callResult(uncompleteTask, ctx, { task_id: task.id });
    expect(result.structuredContent).toEqual({ task, changed: false });
    expect(result.content[0]).toEqual({ type: "text", text: "“Open” was already open; nothing changed." });
    expect(await eventsFor(db.sql, task.id)).toHaveLength(1);
  });

  it("answers TASK_NOT_FOUND for unknown and malformed ids", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    await expectCode(call(uncompleteTask, ctx, { task_id: crypto.randomUUID() }), "TASK_NOT_FOUND");
    await expectCode(call(uncompleteTask, ctx, { task_id: "abc" }), "TASK_NOT_FOUND");
  });
});
