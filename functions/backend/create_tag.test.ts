import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertUser } from "../../test/support/label-fixtures.js";
import tool from "./create_tag.tool.js";

const db = useTestDb("tool-create_tag");

it("returns the new tag in its output shape, with a summary", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const tag = await tool.handle({ name: "urgent" }, ctx);
  expect(v.parse(tool.output, tag)).toMatchObject({ name: "urgent", color: null, task_count: 0 });
  expect(tool.summarize(tag)).toBe("Created tag “urgent”.");
  expect(tool.annotations).toMatchObject({
    readOnlyHint: false,
    destructiveHint: false,
    openWorldHint: false,
  });
});

it("answers VALIDATION_ERROR, DUPLICATE_NAME and LIMIT_REACHED", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  await expect(tool.handle({ name: "x".repeat(31) }, ctx)).rejects.toMatchObject({
    code: "VALIDATION_ERROR",
  });
  await expect(tool.handle({ name: "ok", color: "#1234567" }, ctx)).rejects.toMatchObject({
    code: "VALIDATION_ERROR",
  });
  await call(tool, ctx, { name: "Urgent" });
  await expect(call(tool, ctx, { name: "urgent" })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
  await db.sql`insert into tags (user_id, name) select ${ctx.user.id}, 't' || n from generate_series(1, 99) n`;
  await expect(call(tool, ctx, { name: "one too many" })).rejects.toMatchObject({ code: "LIMIT_REACHED" });
});

it("states the limits in its input schema", () => {
  expect(v.safeParse(tool.input, { name: "x".repeat(31) }).success).toBe(false);
  expect(v.safeParse(tool.input, { name: "ok", color: "red" }).success).toBe(false);
});
