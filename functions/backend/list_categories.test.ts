import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser } from "../../test/support/label-fixtures.js";
import create from "./create_category.tool.js";
import tool from "./list_categories.tool.js";

const db = useTestDb("tool-list_categories");

it("lists categories page by page with task counts", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  expect(tool.summarize(await call(tool, ctx, {}))).toBe("No categories.");
  const made = [];
  for (const name of ["delta", "Alpha", "charlie", "Bravo", "echo"])
    made.push(await call(create, ctx, { name }));
  await insertTask(db.sql, ctx.user, { categoryId: made[1]?.id ?? null });
  const first = v.parse(tool.output, await tool.handle({ limit: 3 }, ctx));
  expect(first.categories.map((c) => [c.name, c.task_count])).toEqual([
    ["Alpha", 1],
    ["Bravo", 0],
    ["charlie", 0],
  ]);
  expect(tool.summarize(first)).toBe("3 categories: Alpha, Bravo, charlie (more on the next page).");
  const second = await call(tool, ctx, { limit: 3, cursor: first.nextCursor ?? "" });
  expect(second.categories.map((c) => c.name)).toEqual(["delta", "echo"]);
  expect(second.nextCursor).toBeNull();
  expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
});

it("answers VALIDATION_ERROR for a bad cursor and refuses a limit over 100", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  await expect(call(tool, ctx, { cursor: "garbage" })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  expect(v.safeParse(tool.input, { limit: 101 }).success).toBe(false);
  expect(v.parse(tool.input, {})).toEqual({ limit: 50 });
});
