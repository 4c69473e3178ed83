import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser, tagTask } from "../../test/support/label-fixtures.js";
import create from "./create_tag.tool.js";
import tool from "./list_tags.tool.js";

const db = useTestDb("tool-list_tags");

it("lists tags page by page with how many tasks carry each", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  expect(tool.summarize(await call(tool, ctx, {}))).toBe("No tags.");
  const home = await call(create, ctx, { name: "home", color: "#00ff00" });
  await call(create, ctx, { name: "Work" });
  await call(create, ctx, { name: "errand" });
  for (let i = 0; i < 3; i++) await tagTask(db.sql, ctx.user, await insertTask(db.sql, ctx.user), [home.id]);
  const first = v.parse(tool.output, await tool.handle({ limit: 2 }, ctx));
  expect(first.tags.map((t) => [t.name, t.task_count])).toEqual([
    ["errand", 0],
    ["home", 3],
  ]);
  const second = await call(tool, ctx, { limit: 2, cursor: first.nextCursor ?? "" });
  expect(second).toMatchObject({ tags: [{ name: "Work" }], nextCursor: null });
  expect(tool.summarize(second)).toBe("1 tag: Work.");
  expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
});

it("answers VALIDATION_ERROR for a bad cursor", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  await expect(call(tool, ctx, { cursor: "!!" })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
});
