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
import addTask from "./add_task.tool.js";
import deleteTask from "./delete_task.tool.js";

const db = useTestDb("delete_task");

describe("delete_task", () => {
  it("deletes the task with its reminders and tag links, and emits deleted with the next version", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const [tag] = await db.sql<
      { id: string }[]
    >`insert into tags (user_id, name) values (${user.id}, 't') returning id`;
    const { task } = await call(addTask, ctx, {
      title: "Gone",
      due_date: hoursFromNow(10),
      tag_ids: [tag?.id as string],
    });
    expect(await remindersOf(db.sql, task.id)).toHaveLength(1);
    const { task: deleted } = await call(deleteTask, ctx, { task_id: task.id });
    expect(deleted).toEqual(task);
    expect(await db.sql`select 1 from tasks where id = ${task.id}`).toHaveLength(0);
    expect(await remindersOf(db.sql, task.id)).toHaveLength(0);
    expect(await db.sql`select 1 from task_tags where task_id = ${task.id}`).toHaveLength(0);
    const events = await eventsFor(db.sql, task.id);
    expect(events[1]).toMatchObject({
      topic: "task-events",
      type: "taskbeat.task.deleted.v1",
      partition_key: task.id,
    });
    expect(events[1]?.data).toEqual({ ...task, version: 2 });
    expect(deleteTask.summarize({ task: deleted })).toBe("Deleted task “Gone”.");
  });

  it("answers TASK_NOT_FOUND the second time, and for malformed ids, emitting nothing", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const { task } = await call(addTask, ctx, { title: "Twice" });
    await call(deleteTask, ctx, { task_id: task.id });
    const outbox = await countRows(db.sql, "outbox");
    await expectCode(call(deleteTask, ctx, { task_id: task.id }), "TASK_NOT_FOUND");
    await expectCode(call(deleteTask, ctx, { task_id: "x" }), "TASK_NOT_FOUND");
    expect(await countRows(db.sql, "outbox")).toBe(outbox);
  });
});
