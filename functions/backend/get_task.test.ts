import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, insertUser } from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import getTask from "./get_task.tool.js";

const db = useTestDb("get_task");

describe("get_task", () => {
  it("returns the task with its category and tags", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const [tag] = await db.sql<{ id: string }[]>`
      insert into tags (user_id, name, color) values (${user.id}, 'work', '#112233') returning id`;
    const { task: created } = await call(addTask, ctx, { title: "Report", tag_ids: [tag?.id as string] });
    const { task } = await call(getTask, ctx, { task_id: created.id });
    expect(task).toEqual(created);
    expect(task.tags).toEqual([{ id: tag?.id, name: "work", color: "#112233" }]);
    expect(getTask.summarize({ task })).toBe("Task “Report” (open, medium).");
  });

  it("answers TASK_NOT_FOUND for an unknown or malformed id, never a database error", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    for (const id of ["00000000-0000-4000-8000-000000000000", "42", "'; drop table tasks; --", ""]) {
      const error = await expectCode(call(getTask, ctx, { task_id: id }), "TASK_NOT_FOUND");
      expect(error.message).toBe(`No task with id ${id} exists for you.`);
    }
  });

  it("echoes at most 64 characters of a long id", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const error = await expectCode(call(getTask, ctx, { task_id: "x".repeat(10_000) }), "TASK_NOT_FOUND");
    expect(error.message).toBe(`No task with id ${"x".repeat(64)}… exists for you.`);
  });
});
