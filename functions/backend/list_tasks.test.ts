import type * as v from "valibot";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, insertUser } from "../../test/support/task-fixtures.js";
import type { User } from "../_shared/domain/context.js";
import addTask from "./add_task.tool.js";
import completeTask from "./complete_task.tool.js";
import listTasks from "./list_tasks.tool.js";

const db = useTestDb("list_tasks");

type ListInput = v.InferInput<typeof listTasks.input>;

/** Every page of a listing, following nextCursor; fails on a repeated id. */
async function allPages(user: User, input: Omit<ListInput, "cursor">): Promise<string[]> {
  const ctx = contextFor(db.sql, user);
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await call(listTasks, ctx, { ...input, ...(cursor ? { cursor } : {}) });
    ids.push(...result.tasks.map((task) => task.id));
    if (result.nextCursor === null) break;
    expect(result.tasks).toHaveLength(input.limit ?? 50);
    cursor = result.nextCursor;
  }
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}

/** 40 tasks inserted by one statement: equal created_at, few distinct priorities and due dates, some none. */
async function crowd(): Promise<User> {
  const user = await insertUser(db.sql);
  await db.sql`
    insert into tasks (user_id, title, time_zone, priority, due_at)
    select ${user.id}, 'Task ' || n, 'UTC', (array['low','medium','high','urgent'])[1 + n % 4],
      case when n % 3 = 0 then null else timestamptz '2099-01-01' + (n % 5) * interval '1 day' end
    from generate_series(1, 40) n`;
  return user;
}

describe("list_tasks", () => {
  it("pages without duplicates or gaps in every sort and order, even with equal keys", async () => {
    const user = await crowd();
    for (const sort_by of ["created", "due", "priority"] as const) {
      for (const order of ["asc", "desc"] as const) {
        const whole = await allPages(user, { sort_by, order, limit: 100 });
        expect(whole).toHaveLength(40);
        expect(await allPages(user, { sort_by, order, limit: 7 }), `${sort_by} ${order}`).toEqual(whole);
      }
    }
  });

  it("sorts: due soonest first with undated last, priority most urgent first then soonest due", async () => {
    const user = await crowd();
    const ctx = contextFor(db.sql, user);
    const byDue = (await call(listTasks, ctx, { sort_by: "due", limit: 100 })).tasks;
    const dues = byDue.map((task) => task.due_date);
    expect(dues.slice(0, 27).every((due) => due !== null)).toBe(true);
    expect(dues.slice(27).every((due) => due === null)).toBe(true);
    expect([...dues.slice(0, 27)].sort()).toEqual(dues.slice(0, 27));
    const desc = (await call(listTasks, ctx, { sort_by: "due", order: "desc", limit: 100 })).tasks;
    expect(desc[0]?.due_date).toBe("2099-01-05T00:00:00.000Z");
    expect(desc.at(-1)?.due_date).toBeNull();
    const byPriority = (await call(listTasks, ctx, { sort_by: "priority", limit: 100 })).tasks;
    expect(byPriority[0]?.priority).toBe("urgent");
    expect(byPriority.at(-1)?.priority).toBe("low");
    const urgent = byPriority.filter((task) => task.priority === "urgent").map((task) => task.due_date);
    expect(urgent.filter((due) => due !== null)).toEqual([...urgent.filter((due) => due !== null)].sort());
    const ascending = (await call(listTasks, ctx, { sort_by: "priority", order: "asc", limit: 100 })).tasks;
    expect(ascending[0]?.priority).toBe("low");
  });

  it("lists newest first by default and keeps pages stable while tasks come and go", async () => {
    const user = await insertUser(db.sql);
    const ctx = contextFor(db.sql, user);
    const made: string[] = [];
    for (let i = 0; i < 6; i++) made.push((await call(addTask, ctx, { title: `T${i}` })).task.id);
    const first = await call(listTasks, ctx, { limit: 3 });
    expect(first.tasks.map((task) => task.id)).toEqual(made.slice(3).reverse());
    await call(addTask, ctx, { title: "Newer" });
    await db.sql`delete from tasks where id = ${made[5] as string}`;
    const second = await call(listTasks, ctx, { limit: 3, cursor: first.nextCursor as string });
    expect(second.tasks.map((task) => task.id)).toEqual(made.slice(0, 3).reverse());
    expect(second.nextCursor).toBeNull();
  });

  it("filters in SQL: status, priority, category, all of the tags, due before and after", async () => {
    const user = await insertUser(db.sql, { timeZone: "America/New_York" });
    const ctx = contextFor(db.sql, user);
    const [category] = await db.sql<
      { id: string }[]
    >`insert into categories (user_id, name) values (${user.id}, 'C') returning id`;
    const tags = await db.sql<
      { id: string }[]
    >`insert into tags (user_id, name) values (${user.id}, 'x'), (${user.id}, 'y') returning id`;
    const [x, y] = tags.map((tag) => tag.id) as [string, string];
    const add = async (title: string, fields: Record<string, unknown> = {}) =>
      (await call(addTask, ctx, { title, ...fields })).task.id;
    const a = await add("a", {
      priority: "high",
      due_date: "2099-03-01",
      category_id: category?.id,
      tag_ids: [x, y],
    });
    const b = await add("b", { priority: "high", due_date: "2099-03-02T08:00", tag_ids: [x] });
    const c = await add("c", { due_date: "2099-03-03" });
    const d = await add("d");
    await call(completeTask, ctx, { task_id: c });
    const ids = async (input: ListInput) =>
      (await call(listTasks, ctx, { ...input, sort_by: "due" })).tasks.map((t) => t.id);
    expect(await ids({ status: "pending" })).toEqual([a, b, d]);
    expect(await ids({ status: "completed" })).toEqual([c]);
    expect(await ids({ priority: "HIGH" })).toEqual([a, b]);
    expect(await ids({ category_id: category?.id as string })).toEqual([a]);
    expect(await ids({ tag_ids: [x] })).toEqual([a, b]);
    expect(await ids({ tag_ids: [x, y] })).toEqual([a]);
    // A date alone is the whole day in the user's zone: "before March 2" includes all of March 2, and
    // "after March 1" means on or after it (issue 11: `due_after: today` missed today's tasks).
    expect(await ids({ due_before: "2099-03-02" })).toEqual([a, b]);
    expect(await ids({ due_after: "2099-03-01" })).toEqual([a, b, c]);
    expect(await ids({ due_after: "2099-03-02" })).toEqual([b, c]);
    expect(await ids({ due_after: "2099-03-01T23:59:59" })).toEqual([b, c]);
    expect(await ids({ due_after: "2099-03-01", due_before: "2099-03-02T23:00" })).toEqual([a, b]);
    expect(await ids({ due_after: "2099-03-02", due_before: "2099-03-02" })).toEqual([b]);
    expect(await ids({ category_id: "not-a-uuid" })).toEqual([]);
    expect(await ids({ tag_ids: ["nope"] })).toEqual([]);
  });

  it("refuses a bad priority, date, limit or cursor with a sentence", async () => {
    const user = await crowd();
    const ctx = contextFor(db.sql, user);
    await expectCode(call(listTasks, ctx, { priority: "top" }), "INVALID_PRIORITY");
    await expectCode(call(listTasks, ctx, { due_before: "someday" }), "INVALID_DUE_DATE");
    await expectCode(call(listTasks, ctx, { limit: 101 }), "VALIDATION_ERROR");
    await expectCode(call(listTasks, ctx, { limit: 0 }), "VALIDATION_ERROR");
    const error = await expectCode(call(listTasks, ctx, { cursor: "garbage" }), "VALIDATION_ERROR");
    expect(error.message).toMatch(/cursor is not valid/);
    const { nextCursor } = await call(listTasks, ctx, { limit: 5 });
    const mixed = await expectCode(
      call(listTasks, ctx, { cursor: nextCursor as string, sort_by: "due" }),
      "VALIDATION_ERROR",
    );
    expect(mixed.message).toBe("This cursor belongs to a different query; start again without it.");
    const forged = Buffer.from(
      JSON.stringify({ l: "tasks:created:desc", k: ["'; drop"], id: crypto.randomUUID() }),
    ).toString("base64url");
    await expectCode(call(listTasks, ctx, { cursor: forged }), "VALIDATION_ERROR");
  });

  it("refuses a cursor with other filters than the ones it was made for, and takes it with the same", async () => {
    const user = await crowd();
    const ctx = contextFor(db.sql, user);
    const query = { status: "pending", priority: "high", due_before: "2099-01-04", limit: 2 } as const;
    const first = await call(listTasks, ctx, query);
    const cursor = first.nextCursor as string;
    expect(cursor).not.toBeNull();
    const others: ListInput[] = [
      { status: "all" },
      { priority: "low" },
      { due_before: "2099-01-05" },
      { due_after: "2099-01-01" },
      { category_id: crypto.randomUUID() },
      { tag_ids: [crypto.randomUUID()] },
      { sort_by: "due" },
      { order: "asc" },
    ];
    for (const other of others) {
      const error = await expectCode(
        call(listTasks, ctx, { ...query, ...other, cursor }),
        "VALIDATION_ERROR",
      );
      expect(error.message, JSON.stringify(other)).toBe(
        "This cursor belongs to a different query; start again without it.",
      );
    }
    // The same query spelt differently is the same query.
    const next = await call(listTasks, ctx, {
      ...query,
      priority: " HIGH",
      due_before: " 2099-01-04 ",
      cursor,
    });
    expect(next.tasks.map((t) => t.id)).not.toContain(first.tasks[0]?.id);
    expect(next.tasks.length).toBeGreaterThan(0);
  });

  it("reads due_after / due_before in words, whole days in the user's zone, and says how", async () => {
    const user = await insertUser(db.sql, { timeZone: "Pacific/Auckland" });
    const ctx = contextFor(db.sql, user);
    const add = async (title: string, due_date: string) =>
      (await call(addTask, ctx, { title, due_date })).task.id;
    const yesterday = await add("yesterday", "yesterday");
    const today = await add("today", "today");
    const tomorrow = await add("tomorrow", "tomorrow 9am");
    const ids = async (input: ListInput) =>
      (await call(listTasks, ctx, { ...input, sort_by: "due" })).tasks.map((t) => t.id);
    expect(await ids({ due_after: "today" })).toEqual([today, tomorrow]);
    expect(await ids({ due_before: "today" })).toEqual([yesterday, today]);
    expect(await ids({ due_after: "today", due_before: "today" })).toEqual([today]);
    const answer = await call(listTasks, ctx, { due_after: "tomorrow" });
    expect(answer.tasks.map((t) => t.id)).toEqual([tomorrow]);
    expect(answer.understood).toEqual([
      {
        field: "due_after",
        input: "tomorrow",
        resolved: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T23:59:59\+1[23]:00$/),
        time_zone: "Pacific/Auckland",
      },
    ]);
  });
});
