import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser } from "../../test/support/label-fixtures.js";
import create from "./create_category.tool.js";
import tool from "./delete_category.tool.js";

const db = useTestDb("tool-delete_category");

it("deletes the category and leaves its tasks uncategorised", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "Work" });
  const task = await insertTask(db.sql, ctx.user, { categoryId: id });
  const result = v.parse(tool.output, await tool.handle({ category_id: id }, ctx));
  expect(result).toEqual({ id, name: "Work", tasks_affected: 1 });
  expect(tool.summarize(result)).toBe("Deleted category “Work”; 1 task now uncategorised.");
  const [row] = await db.sql`select category_id from tasks where id = ${task}`;
  expect(row?.category_id).toBeNull();
  expect(tool.annotations).toMatchObject({ destructiveHint: true, openWorldHint: false });
});

it("answers CATEGORY_NOT_FOUND for unknown and malformed ids", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  for (const category_id of ["00000000-0000-0000-0000-000000000000", "work"]) {
    await expect(call(tool, ctx, { category_id })).rejects.toMatchObject({ code: "CATEGORY_NOT_FOUND" });
  }
});
