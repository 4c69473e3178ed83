import { describe, expect, it } from "vitest";
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
import { createTag, deleteTag, listTags, MAX_TAGS, updateTag } from "./tags.js";

const db = useTestDb("domain-tags", { max: 12 });

async function freshUser(): Promise<ToolContext> {
  return contextFor(db.sql, await insertUser(db.sql));
}

describe("tags", () => {
  it("validates names up to 30 characters and #RRGGBB colours", async () => {
    const ctx = await freshUser();
    expect(await createTag(ctx, { name: "x".repeat(30), color: "#a1b2c3" })).toMatchObject({
      color: "#A1B2C3",
    });
    for (const input of [{ name: "" }, { name: "x".repeat(31) }, { name: "ok", color: "#GGGGGG" }]) {
      await expect(createTag(ctx, input)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    }
    await expect(createTag(ctx, { name: "X".repeat(30) })).rejects.toMatchObject({ code: "DUPLICATE_NAME" });
  });

  it("stops at 100 with LIMIT_REACHED, even when creates race at the limit", async () => {
    const ctx = await freshUser();
    await db.sql`
      insert into tags (user_id, name) select ${ctx.user.id}, 't' || n from generate_series(1, ${MAX_TAGS - 3}) n`;
    await warmPool(db.sql, 10);
    const racing = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => createTag(ctx, { name: `r${i}` })),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of racing.filter((r) => r.status === "rejected")) {
      expect(r.reason).toMatchObject({ code: "LIMIT_REACHED" });
    }
    const [{ count } = { count: 0 }] = await db.sql<{ count: number }[]>`
      select count(*)::int as count from tags where user_id = ${ctx.user.id}`;
    expect(count).toBe(MAX_TAGS);
    // Deleting one makes room again.
    const { tags } = await listTags(ctx, { limit: 1 });
    await deleteTag(ctx, tags[0]?.id ?? "");
    await expect(createTag(ctx, { name: "room" })).resolves.toMatchObject({ name: "room" });
  });

  it("pages through every tag once, counting the tasks that carry each", async () => {
    const ctx = await freshUser();
    const made = [];
    for (let i = 0; i < 12; i++)
      made.push(await createTag(ctx, { name: `Tag ${String.fromCharCode(108 - i)}` }));
    const task = await insertTask(db.sql, ctx.user);
    await tagTask(db.sql, ctx.user, task, [made[0]?.id ?? "", made[1]?.id ?? ""]);
    const seen = [];
    let cursor: string | undefined;
    do {
      const page = await listTags(ctx, { limit: 5, cursor });
      seen.push(...page.tags);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((t) => t.id).sort()).toEqual(made.map((t) => t.id).sort());
    expect(seen.map((t) => t.name)).toEqual(made.map((t) => t.name).reverse());
    expect(seen.filter((t) => t.task_count > 0).map((t) => t.name)).toEqual(["Tag k", "Tag l"]);
  });

  it("renames and deletes; deleting takes the tag off its tasks without touching them", async () => {
    const ctx = await freshUser();
    const { id } = await createTag(ctx, { name: "urgent" });
    expect(await updateTag(ctx, id, { name: "Urgent!" })).toMatchObject({ id, name: "Urgent!" });
    const tasks = [await insertTask(db.sql, ctx.user), await insertTask(db.sql, ctx.user)];
    for (const task of tasks) await tagTask(db.sql, ctx.user, task, [id]);
    const eventsBefore = (await outboxEvents(db.sql)).length;
    expect(await deleteTag(ctx, id)).toEqual({ id, name: "Urgent!", tasks_affected: 2 });
    const [left] = await db.sql`select count(*)::int as n from task_tags where tag_id = ${id}`;
    expect(left?.n).toBe(0);
    const kept = await db.sql`select version from tasks where id = any(${tasks}::uuid[])`;
    expect(kept.map((r) => r.version)).toEqual([1, 1]);
    expect((await outboxEvents(db.sql)).length).toBe(eventsBefore);
    await expect(updateTag(ctx, id, { name: "again" })).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
    await expect(deleteTag(ctx, "42")).rejects.toMatchObject({ code: "TAG_NOT_FOUND" });
  });
});
