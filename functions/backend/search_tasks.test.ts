import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, insertUser } from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import completeTask from "./complete_task.tool.js";
import searchTasks from "./search_tasks.tool.js";

const db = useTestDb("search_tasks");

async function setup() {
  const user = await insertUser(db.sql);
  return { user, ctx: contextFor(db.sql, user) };
}

describe("search_tasks", () => {
  it("ranks a title match above a description match, with stemming", async () => {
    const { ctx } = await setup();
    const inDescription = (
      await call(addTask, ctx, { title: "Errands", description: "call the dentist about teeth" })
    ).task;
    const inTitle = (await call(addTask, ctx, { title: "Dentist appointment" })).task;
    await call(addTask, ctx, { title: "Unrelated", description: "nothing here" });
    const { tasks, nextCursor } = await call(searchTasks, ctx, { query: "dentists" });
    expect(tasks.map((task) => task.id)).toEqual([inTitle.id, inDescription.id]);
    expect(nextCursor).toBeNull();
    expect((await call(searchTasks, ctx, { query: "calling" })).tasks.map((t) => t.id)).toEqual([
      inDescription.id,
    ]);
    expect(searchTasks.summarize({ tasks, nextCursor })).toBe(
      "2 matches, best first: “Dentist appointment”, “Errands”.",
    );
  });

  it("reads web-search syntax: phrases, OR and -word", async () => {
    const { ctx } = await setup();
    const draft = (await call(addTask, ctx, { title: "Quarterly report draft" })).task;
    const final = (await call(addTask, ctx, { title: "Quarterly report final" })).task;
    const ids = async (query: string) =>
      (await call(searchTasks, ctx, { query })).tasks.map((t) => t.id).sort();
    expect(await ids("report -draft")).toEqual([final.id]);
    expect(await ids('"report final"')).toEqual([final.id]);
    expect(await ids("draft OR final")).toEqual([draft.id, final.id].sort());
    expect(await ids("quarterly (")).toEqual([draft.id, final.id].sort());
  });

  it("filters by status", async () => {
    const { ctx } = await setup();
    const open = (await call(addTask, ctx, { title: "Garden fence" })).task;
    const done = (await call(addTask, ctx, { title: "Garden hose" })).task;
    await call(completeTask, ctx, { task_id: done.id });
    expect(
      (await call(searchTasks, ctx, { query: "garden", status: "pending" })).tasks.map((t) => t.id),
    ).toEqual([open.id]);
    expect(
      (await call(searchTasks, ctx, { query: "garden", status: "completed" })).tasks.map((t) => t.id),
    ).toEqual([done.id]);
  });

  it("pages by (rank, id) without duplicates or gaps when ranks are equal", async () => {
    const { user, ctx } = await setup();
    await db.sql`
      insert into tasks (user_id, title, description, time_zone)
      select ${user.id}, case when n % 4 = 0 then 'budget review' else 'review ' || n end,
        case when n % 3 = 0 then 'the budget' else null end, 'UTC'
      from generate_series(1, 33) n`;
    const whole = (await call(searchTasks, ctx, { query: "budget review", limit: 100 })).tasks.map(
      (t) => t.id,
    );
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(searchTasks, ctx, {
        query: "budget review",
        limit: 4,
        ...(cursor ? { cursor } : {}),
      });
      paged.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(whole.length).toBeGreaterThan(4);
    expect(paged).toEqual(whole);
    expect(new Set(paged).size).toBe(paged.length);
  });

  it("answers an empty or stop-word-only query with a sentence, and refuses a foreign cursor", async () => {
    const { ctx } = await setup();
    const empty = await expectCode(call(searchTasks, ctx, { query: "   " }), "VALIDATION_ERROR");
    expect(empty.message).toMatch(/Give me some words to search for/);
    const common = await expectCode(call(searchTasks, ctx, { query: "the and of" }), "VALIDATION_ERROR");
    expect(common.message).toMatch(/only words too common/);
    await expectCode(call(searchTasks, ctx, { query: "x".repeat(501) }), "VALIDATION_ERROR");
    await expectCode(call(searchTasks, ctx, { query: "report", cursor: "e30" }), "VALIDATION_ERROR");
  });

  it("finds nothing of another user's", async () => {
    const { ctx } = await setup();
    await call(addTask, ctx, { title: "Secret plan" });
    const stranger = await setup();
    expect((await call(searchTasks, stranger.ctx, { query: "secret" })).tasks).toEqual([]);
  });

  it("refuses a cursor from another query or status", async () => {
    const { ctx } = await setup();
    for (const title of ["report one", "report two", "report three"]) await call(addTask, ctx, { title });
    const first = await call(searchTasks, ctx, { query: "report", limit: 1 });
    const cursor = first.nextCursor as string;
    for (const other of [{ query: "one" }, { query: "report", status: "pending" as const }]) {
      const error = await expectCode(call(searchTasks, ctx, { ...other, cursor }), "VALIDATION_ERROR");
      expect(error.message).toBe("This cursor belongs to a different query; start again without it.");
    }
    const next = await call(searchTasks, ctx, { query: " report ", status: "all", limit: 1, cursor });
    expect(next.tasks).toHaveLength(1);
    expect(next.tasks[0]?.id).not.toBe(first.tasks[0]?.id);
  });
});
