import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertUser } from "../../test/support/label-fixtures.js";
import create from "./create_tag.tool.js";
import tool from "./update_tag.tool.js";

const db = useTestDb("tool-update_tag");

it("renames and recolours", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "urgent" });
  const updated = v.parse(
    tool.output,
    await tool.handle({ tag_id: id, name: "URGENT", color: "#ff0000" }, ctx),
  );
  expect(updated).toMatchObject({ id, name: "URGENT", color: "#FF0000" });
  expect(tool.summarize(updated)).toBe("Tag “URGENT” updated (colour #FF0000).");
  expect(tool.annotations).toMatchObject({
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  });
});

it("answers TAG_NOT_FOUND, DUPLICATE_NAME and VALIDATION_ERROR", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const { id } = await call(create, ctx, { name: "a" });
  await call(create, ctx, { name: "b" });
  await expect(call(tool, ctx, { tag_id: "b", name: "c" })).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
  await expect(call(tool, ctx, { tag_id: id, name: "B" })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
  await expect(tool.handle({ tag_id: id, color: "#fff" }, ctx)).rejects.toMatchObject({
    code: "VALIDATION_ERROR",
  });
});
