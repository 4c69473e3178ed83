import * as v from "valibot";
import { expect, inject, it } from "vitest";
import { TOPICS } from "../../runtime/outbox/enqueue.js";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  contextFor,
  insertTask,
  insertUser,
  outboxEvents,
  tagTask,
} from "../../test/support/label-fixtures.js";
import { whileWaiting } from "../../test/support/locks.js";
import tool from "./add_tag_to_task.tool.js";
import create from "./create_tag.tool.js";
import remove from "./remove_tag_from_task.tool.js";

const db = useTestDb("tool-add_tag_to_task");

it("returns the task with the tag, emits task.updated once, and is safe to repeat", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await insertTask(db.sql, ctx.user, { title: "Pay rent" });
  const tag = await call(create, ctx, { name: "money", color: "#00aa00" });
  const updated = v.parse(tool.output, await tool.handle({ task_id: task, tag_id: tag.id }, ctx));
  expect(updated.task).toMatchObject({
    id: task,
    version: 2,
    tags: [{ id: tag.id, name: "money", color: "#00AA00" }],
  });
  expect(tool.summarize(updated)).toBe("Task “Pay rent” is tagged money.");
  expect(await call(tool, ctx, { task_id: task, tag_id: tag.id })).toEqual(updated);
  const events = (await outboxEvents(db.sql)).filter((row) => row.partition_key === task);
  expect(events.map((row) => [row.topic, row.event.type])).toEqual([
    [TOPICS.taskEvents, "taskbeat.task.updated.v1"],
  ]);
  expect(tool.annotations).toMatchObject({
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  });
});

it("answers TASK_NOT_FOUND, TAG_NOT_FOUND and TOO_MANY_TAGS", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await insertTask(db.sql, ctx.user);
  const tags = [];
  for (let i = 0; i < 11; i++) tags.push((await call(create, ctx, { name: `t${i}` })).id);
  await expect(call(tool, ctx, { task_id: "1", tag_id: tags[0] ?? "" })).rejects.toMatchObject({
    code: "TASK_NOT_FOUND",
  });
  await expect(call(tool, ctx, { task_id: task, tag_id: "t0" })).rejects.toMatchObject({
    code: "TAG_NOT_FOUND",
  });
  await tagTask(db.sql, ctx.user, task, tags.slice(0, 10));
  await expect(call(tool, ctx, { task_id: task, tag_id: tags[10] ?? "" })).rejects.toMatchObject({
    code: "TOO_MANY_TAGS",
  });
});

it.runIf(!inject("databaseIsEmbedded"))(
  "takes the tag's lock before the task's (label rows first, as every writer does)",
  async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const task = await insertTask(db.sql, ctx.user, { title: "Pay rent" });
    const tag = await call(create, ctx, { name: "money" });
    for (const change of [tool, remove]) {
      const { blocked, meanwhile } = await whileWaiting(
        db.sql,
        (tx) => tx`select 1 from tags where id = ${tag.id} for update`,
        () => call(change, ctx, { task_id: task, tag_id: tag.id }),
        (tx) => tx`update tasks set title = 'Pay the rent' where id = ${task}`,
      );
      expect(meanwhile).toBeUndefined();
      expect((await blocked).task.title).toBe("Pay the rent");
    }
  },
);
