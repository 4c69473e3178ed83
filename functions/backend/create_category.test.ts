import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertUser } from "../../test/support/label-fixtures.js";
import tool from "./create_category.tool.js";

const db = useTestDb("tool-create_category");

it("returns the new category in its output shape, with a summary", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const category = await tool.handle({ name: " Work ", color: "#ff8800" }, ctx);
  expect(v.parse(tool.output, category)).toMatchObject({ name: "Work", color: "#FF8800", task_count: 0 });
  expect(tool.summarize(category)).toBe("Created category “Work”.");
  expect(tool.annotations).toMatchObject({
    readOnlyHint: false,
    destructiveHint: false,
    openWorldHint: false,
  });
});

it("answers VALIDATION_ERROR, DUPLICATE_NAME and LIMIT_REACHED", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  await expect(tool.handle({ name: "  " }, ctx)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  await expect(tool.handle({ name: "Home", color: "blue" }, ctx)).rejects.toMatchObject({
    code: "VALIDATION_ERROR",
  });
  await call(tool, ctx, { name: "Home" });
  await expect(call(tool, ctx, { name: "HOME" })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
  for (let i = 1; i < 50; i++) await call(tool, ctx, { name: `c${i}` });
  await expect(call(tool, ctx, { name: "fifty-first" })).rejects.toMatchObject({ code: "LIMIT_REACHED" });
});

it("states the limits in its input schema", () => {
  expect(v.safeParse(tool.input, { name: "" }).success).toBe(false);
  expect(v.safeParse(tool.input, { name: "x".repeat(51) }).success).toBe(false);
  expect(v.safeParse(tool.input, { name: "ok", color: "#12345g" }).success).toBe(false);
  // A null colour is "not given": the MCP layer drops it before this schema (test/assistants/every-tool.test.ts).
  expect(v.safeParse(tool.input, { name: "ok" }).success).toBe(true);
});
