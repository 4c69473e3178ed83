import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { TOPICS } from "../../../runtime/outbox/enqueue.js";
import { useTestDb } from "../../../test/support/db.js";
import {
  contextFor,
  insertTask,
  insertUser,
  outboxEvents,
  tagTask,
  warmPool,
} from "../../../test/support/label-fixtures.js";
import type { ToolContext } from "./context.js";
import { createTag } from "./tags.js";
import { addTagToTask, MAX_TAGS_PER_TASK, removeTagFromTask } from "./task-tags.js";
import { TaskSchema } from "./task-view.js";
import { TASK_EVENT } from "./tasks-events.js";

const db = useTestDb("domain-task-tags", { max: 12 });

async function setup(tagCount = 1): Promise<{ ctx: ToolContext; task: string; tags: string[] }> {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await insertTask(db.sql, ctx.user, { title: "Write report" });
  const tags = [];
  for (let i = 0; i < tagCount; i++) tags.push((await createTag(ctx, { name: `tag${i}` })).id);
  return { ctx, task, tags };
}

const eventsFor = async (task: string) =>
  (await outboxEvents(db.sql)).filter((row) => row.partition_key === task);

const taskRow = async (task: string) =>
  (
    await db.sql<
      { version: number; updated_at: Date }[]
    >`select version, updated_at from tasks where id = ${task}`
  )[0];

describe("addTagToTask", () => {
  it("tags the task, moves its version and emits task.updated with the task object", async () => {
    const { ctx, task, tags } = await setup();
    const before = await taskRow(task);
    const updated = await addTagToTask(ctx, task, tags[0] ?? "");
    expect(updated).toMatchObject({
      id: task,
      version: 2,
      tags: [{ id: tags[0], name: "tag0", color: null }],
    });
    expect(new Date(updated.updated_at).getTime()).toBeGreaterThan(before?.updated_at.getTime() ?? 0);
    const events = await eventsFor(task);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      topic: TOPICS.taskEvents,
      event: { type: TASK_EVENT.updated, subject: task },
    });
    expect(v.parse(TaskSchema, events[0]?.event.data)).toEqual(updated);
  });

  it("changes nothing and emits nothing when the task already has the tag", async () => {
    const { ctx, task, tags } = await setup();
    await addTagToTask(ctx, task, tags[0] ?? "");
    const again = await addTagToTask(ctx, task, tags[0] ?? "");
    expect(again.version).toBe(2);
    expect(again.tags).toHaveLength(1);
    expect(await eventsFor(task)).toHaveLength(1);
  });

  it("refuses an 11th tag with TOO_MANY_TAGS, but re-adding one of the ten is fine", async () => {
    const { ctx, task, tags } = await setup(MAX_TAGS_PER_TASK + 1);
    await tagTask(db.sql, ctx.user, task, tags.slice(0, MAX_TAGS_PER_TASK));
    await expect(addTagToTask(ctx, task, tags[MAX_TAGS_PER_TASK] ?? "")).rejects.toMatchObject({
      code: "TOO_MANY_TAGS",
    });
    expect((await addTagToTask(ctx, task, tags[0] ?? "")).tags).toHaveLength(MAX_TAGS_PER_TASK);
    expect(await eventsFor(task)).toHaveLength(0);
    expect((await taskRow(task))?.version).toBe(1);
  });

  it("keeps to ten when adds race on one task", async () => {
    const { ctx, task, tags } = await setup(MAX_TAGS_PER_TASK + 4);
    await tagTask(db.sql, ctx.user, task, tags.slice(0, MAX_TAGS_PER_TASK - 2));
    await warmPool(db.sql, 6);
    const racing = await Promise.allSettled(
      tags.slice(MAX_TAGS_PER_TASK - 2).map((tag) => addTagToTask(ctx, task, tag)),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of racing.filter((r) => r.status === "rejected")) {
      expect(r.reason).toMatchObject({ code: "TOO_MANY_TAGS" });
    }
    expect((await taskRow(task))?.version).toBe(3);
    expect(await eventsFor(task)).toHaveLength(2);
  });

  it("answers TASK_NOT_FOUND and TAG_NOT_FOUND for unknown, malformed and other users' ids", async () => {
    const { ctx, task, tags } = await setup();
    const other = await setup();
    const tag = tags[0] ?? "";
    const zero = "00000000-0000-0000-0000-000000000000";
    for (const missing of [zero, "nope", other.task]) {
      await expect(addTagToTask(ctx, missing, tag)).rejects.toMatchObject({ code: "TASK_NOT_FOUND" });
      await expect(removeTagFromTask(ctx, missing, tag)).rejects.toMatchObject({ code: "TASK_NOT_FOUND" });
    }
    for (const missing of [zero, "", other.tags[0] ?? ""]) {
      await expect(addTagToTask(ctx, task, missing)).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
      await expect(removeTagFromTask(ctx, task, missing)).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
    }
    expect(await eventsFor(task)).toHaveLength(0);
  });

  it("leaves no row and no event when the write fails part-way", async () => {
    const { ctx, task, tags } = await setup();
    // The outbox insert is the transaction's last statement: make it fail after the tag row is in.
    await db.sql.unsafe(`
      create function refuse_outbox() returns trigger language plpgsql as $$
        begin raise exception 'outbox unavailable'; end $$;
      create trigger refuse_outbox before insert on outbox execute function refuse_outbox();`);
    try {
      await expect(addTagToTask(ctx, task, tags[0] ?? "")).rejects.toThrow(/outbox unavailable/);
    } finally {
      await db.sql.unsafe("drop trigger refuse_outbox on outbox; drop function refuse_outbox();");
    }
    const [links] = await db.sql`select count(*)::int as n from task_tags where task_id = ${task}`;
    expect(links?.n).toBe(0);
    expect((await taskRow(task))?.version).toBe(1);
    expect(await eventsFor(task)).toHaveLength(0);
  });
});

describe("removeTagFromTask", () => {
  it("takes the tag off, moves the version and emits; removing it again changes nothing", async () => {
    const { ctx, task, tags } = await setup(2);
    await tagTask(db.sql, ctx.user, task, tags);
    const updated = await removeTagFromTask(ctx, task, tags[0] ?? "");
    expect(updated.tags.map((t) => t.id)).toEqual([tags[1]]);
    expect(updated.version).toBe(2);
    const again = await removeTagFromTask(ctx, task, tags[0] ?? "");
    expect(again).toEqual(updated);
    const events = await eventsFor(task);
    expect(events.map((e) => e.event.type)).toEqual([TASK_EVENT.updated]);
    expect(events[0]?.event.data).toEqual(updated);
  });
});
