import * as v from "valibot";
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  contextFor,
  insertTask,
  insertUser,
  outboxEvents,
  tagTask,
} from "../../test/support/label-fixtures.js";
import create from "./create_tag.tool.js";
import tool from "./remove_tag_from_task.tool.js";

const db = useTestDb("tool-remove_tag_from_task");

it("returns the task without the tag, emits task.updated once, and is safe to repeat", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await insertTask(db.sql, ctx.user, { title: "Pay rent" });
  const tag = await call(create, ctx, { name: "money" });
  await tagTask(db.sql, ctx.user, task, [tag.id]);
  const updated = v.parse(tool.output, await tool.handle({ task_id: task, tag_id: tag.id }, ctx));
  expect(updated.task).toMatchObject({ id: task, version: 2, tags: [] });
  expect(tool.summarize(updated)).toBe("Task “Pay rent” has no tags.");
  expect(await call(tool, ctx, { task_id: task, tag_id: tag.id })).toEqual(updated);
  const events = (await outboxEvents(db.sql)).filter((row) => row.partition_key === task);
  expect(events.map((row) => row.event.type)).toEqual(["taskbeat.task.updated.v1"]);
  expect(tool.annotations).toMatchObject({
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  });
});

it("answers TASK_NOT_FOUND and TAG_NOT_FOUND", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await insertTask(db.sql, ctx.user);
  const tag = await call(create, ctx, { name: "x" });
  await expect(call(tool, ctx, { task_id: "x", tag_id: tag.id })).rejects.toMatchObject({
    code: "TASK_NOT_FOUND",
  });
  await expect(call(tool, ctx, { task_id: task, tag_id: task })).rejects.toMatchObject({
    code: "TAG_NOT_FOUND",
  });
});
