import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser, tagTask } from "../../test/support/label-fixtures.js";
import create from "./create_tag.tool.js";
import tool from "./delete_tag.tool.js";

const db = useTestDb("tool-delete_tag");

it("deletes the tag and takes it off its tasks, keeping the tasks", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "urgent" });
  const tasks = [await insertTask(db.sql, ctx.user), await insertTask(db.sql, ctx.user)];
  for (const task of tasks) await tagTask(db.sql, ctx.user, task, [id]);
  const result = v.parse(tool.output, await tool.handle({ tag_id: id }, ctx));
  expect(result).toEqual({ id, name: "urgent", tasks_affected: 2 });
  expect(tool.summarize(result)).toBe("Deleted tag “urgent”; it was on 2 tasks.");
  const [left] = await db.sql`select count(*)::int as n from tasks where id = any(${tasks}::uuid[])`;
  expect(left?.n).toBe(2);
  expect(tool.annotations).toMatchObject({ destructiveHint: true, openWorldHint: false });
});

it("answers TAG_NOT_FOUND for unknown and malformed ids", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  for (const tag_id of ["00000000-0000-0000-0000-000000000000", "urgent"]) {
    await expect(call(tool, ctx, { tag_id })).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
  }
});
