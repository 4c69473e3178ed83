import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  callResult,
  contextFor,
  countRows,
  eventsFor,
  expectCode,
  insertUser,
} from "../../test/support/task-fixtures.js";
import { addTasks } from "../_shared/domain/tasks.js";
import addTasksTool from "./add_tasks.tool.js";

const db = useTestDb("add_tasks");

describe("add_tasks", () => {
  it("creates the good items, reports the bad ones by index, and emits only for those created", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const outboxBefore = await countRows(db.sql, "outbox");
    const result = await call(addTasksTool, ctx, {
      tasks: [
        { title: "First" },
        { title: "Bad priority", priority: "asap" },
        { title: "Third", due_date: "2099-05-01", recurrence_rule: "every monday" },
        { title: "Bad tag", tag_ids: ["00000000-0000-4000-8000-000000000000"] },
        { title: "  " },
      ],
    });
    expect(result.tasks.map((task) => task.title)).toEqual(["First", "Third"]);
    expect(result.tasks[1]?.recurrence_rule).toBe("FREQ=WEEKLY;BYDAY=MO");
    expect(result.failures).toEqual([
      { index: 1, code: "INVALID_PRIORITY", message: expect.stringContaining('"asap" is not a priority') },
      { index: 3, code: "TAG_NOT_FOUND", message: expect.stringContaining("No tag with id") },
      { index: 4, code: "VALIDATION_ERROR", message: expect.stringContaining("needs a title") },
    ]);
    const rows = await db.sql`select title from tasks where user_id = ${user.id} order by title`;
    expect(rows.map((row) => row.title)).toEqual(["First", "Third"]);
    expect(await countRows(db.sql, "outbox")).toBe(outboxBefore + 2);
    for (const task of result.tasks) {
      expect((await eventsFor(db.sql, task.id)).map((event) => event.type)).toEqual([
        "taskbeat.task.created.v1",
      ]);
    }
  });

  it("checks each item's fields on its own: an unknown field, a wrong type or a bad value fails that item only", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const result = await callResult(addTasksTool, ctx, {
      tasks: [
        { title: "Kept 1" },
        { title: "Misspelt", due: "2099-01-01" },
        { title: 42 },
        { title: "Kept 2", priority: null, due_date: null },
        { title: "Wrong tags", tag_ids: "work" },
        "not an object",
        { title: "Bad priority", priority: "asap" },
      ],
    });
    const output = result.structuredContent as { tasks: Array<{ title: string }>; failures: unknown[] };
    expect(output.tasks.map((task) => task.title)).toEqual(["Kept 1", "Kept 2"]);
    expect(output.failures).toEqual([
      { index: 1, code: "VALIDATION_ERROR", message: expect.stringContaining("due: unknown field") },
      { index: 2, code: "VALIDATION_ERROR", message: expect.stringMatching(/^title: .*string/) },
      { index: 4, code: "VALIDATION_ERROR", message: expect.stringMatching(/^tag_ids: .*Array/) },
      { index: 5, code: "VALIDATION_ERROR", message: expect.stringContaining("Object") },
      { index: 6, code: "INVALID_PRIORITY", message: expect.stringContaining('"asap" is not a priority') },
    ]);
    const [summary] = result.content as Array<{ text: string }>;
    expect(summary?.text).toMatch(/^Created 2 tasks; 5 failed: #1 VALIDATION_ERROR \(due: unknown field/);
    expect(summary?.text).toContain("#6 INVALID_PRIORITY");
    const rows = await db.sql`select title from tasks where user_id = ${user.id} order by title`;
    expect(rows.map((row) => row.title)).toEqual(["Kept 1", "Kept 2"]);
  });

  it("writes nothing when every item fails", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const before = [await countRows(db.sql, "tasks"), await countRows(db.sql, "outbox")];
    const result = await call(addTasksTool, ctx, {
      tasks: [{ title: "" }, { title: "x", due_date: "soon" }],
    });
    expect(result.tasks).toEqual([]);
    expect(result.failures.map((failure) => failure.code)).toEqual(["VALIDATION_ERROR", "INVALID_DUE_DATE"]);
    expect([await countRows(db.sql, "tasks"), await countRows(db.sql, "outbox")]).toEqual(before);
  });

  it("takes 1 to 25 items", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const many = Array.from({ length: 25 }, (_, i) => ({ title: `Item ${i}` }));
    expect((await call(addTasksTool, ctx, { tasks: many })).tasks).toHaveLength(25);
    expect(v.safeParse(addTasksTool.input, { tasks: [...many, { title: "26th" }] }).success).toBe(false);
    expect(v.safeParse(addTasksTool.input, { tasks: [] }).success).toBe(false);
    // The domain holds the same line for callers that skip the schema.
    await expectCode(addTasks(ctx, [...many, { title: "26th" }]), "VALIDATION_ERROR");
  });

  it("request_id per item: a retried batch returns the earlier tasks, lists them in replayed and writes nothing twice", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const batch = {
      tasks: [
        { title: "Keyed A", request_id: "batch-a" },
        { title: "Unkeyed" },
        { title: "Bad", priority: "asap", request_id: "batch-bad" },
        { title: "Keyed B", request_id: "batch-b" },
      ],
    };
    const first = await call(addTasksTool, ctx, batch);
    expect(first.tasks.map((task) => task.title)).toEqual(["Keyed A", "Unkeyed", "Keyed B"]);
    expect(first.replayed).toEqual([]);
    const outboxAfterFirst = await countRows(db.sql, "outbox");

    const retried = await callResult(addTasksTool, ctx, batch);
    const output = retried.structuredContent as typeof first;
    // The keyed items are the first call's tasks; the unkeyed one is new (it had no key to match).
    expect(output.tasks.map((task) => task.id)).toEqual([
      first.tasks[0]?.id,
      expect.not.stringMatching(first.tasks[1]?.id ?? ""),
      first.tasks[2]?.id,
    ]);
    expect(output.replayed).toEqual([0, 3]);
    expect(output.failures.map((failure) => failure.index)).toEqual([2]);
    const text = (retried.content as { type: string; text: string }[])[0]?.text ?? "";
    expect(text).toMatch(
      /^Created 1 task \(and returned 2 that an earlier call created with the same request_id\); 1 failed/,
    );
    // One new task, one new event: the replayed items wrote nothing.
    expect(await countRows(db.sql, "outbox")).toBe(outboxAfterFirst + 1);
    const titles = await db.sql`select title from tasks where user_id = ${user.id} order by title`;
    expect(titles.map((row) => row.title)).toEqual(["Keyed A", "Keyed B", "Unkeyed", "Unkeyed"]);
  });
});
