import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser } from "../../test/support/label-fixtures.js";
import create from "./create_category.tool.js";
import tool from "./update_category.tool.js";

const db = useTestDb("tool-update_category");

it("renames and recolours, keeping its tasks", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "Work", color: "#111111" });
  await insertTask(db.sql, ctx.user, { categoryId: id });
  const renamed = v.parse(tool.output, await tool.handle({ category_id: id, name: "Job" }, ctx));
  expect(renamed).toMatchObject({ id, name: "Job", color: "#111111", task_count: 1 });
  const cleared = await call(tool, ctx, { category_id: id, clear: ["color"] });
  expect(cleared.color).toBeNull();
  expect(tool.summarize(cleared)).toBe("Category “Job” updated (colour none).");
  expect(tool.annotations).toMatchObject({
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  });
});

it("answers CATEGORY_NOT_FOUND, DUPLICATE_NAME and VALIDATION_ERROR", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "Work" });
  await call(create, ctx, { name: "Home" });
  await expect(call(tool, ctx, { category_id: "123", name: "x" })).rejects.toMatchObject({
    code: "CATEGORY_NOT_FOUND",
  });
  await expect(call(tool, ctx, { category_id: id, name: "home" })).rejects.toMatchObject({
    code: "DUPLICATE_NAME",
  });
  await expect(call(tool, ctx, { category_id: id })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  await expect(tool.handle({ category_id: id, name: " " }, ctx)).rejects.toMatchObject({
    code: "VALIDATION_ERROR",
  });
});
