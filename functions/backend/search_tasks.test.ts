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

  it("ignores accents and punctuation, on both sides", async () => {
    const { ctx } = await setup();
    const zoe = (await call(addTask, ctx, { title: "Birthday present for Zoë" })).task;
    const cafe = (await call(addTask, ctx, { title: "Meet Ana", description: "at the cafe" })).task;
    const dry = (await call(addTask, ctx, { title: "Pick up dry cleaning" })).task;
    const email = (await call(addTask, ctx, { title: "Answer e-mail from the bank" })).task;
    const ids = async (query: string) =>
      (await call(searchTasks, ctx, { query })).tasks.map((t) => t.id).sort();
    expect(await ids("zoe")).toEqual([zoe.id]);
    expect(await ids("Zoë")).toEqual([zoe.id]);
    expect(await ids("café")).toEqual([cafe.id]);
    expect(await ids("dry-cleaning")).toEqual([dry.id]);
    expect(await ids("dry cleaning")).toEqual([dry.id]);
    expect(await ids("e-mail")).toEqual([email.id]);
    expect(await ids("e mail")).toEqual([email.id]);
  });

  it("ranks a title match above a description match also with a negation", async () => {
    const { ctx } = await setup();
    const inDescription = (
      await call(addTask, ctx, { title: "Errands", description: "call the plumber about the sink" })
    ).task;
    const inTitle = (await call(addTask, ctx, { title: "Call the plumber" })).task;
    await call(addTask, ctx, { title: "Call mom" });
    const { tasks } = await call(searchTasks, ctx, { query: "call -mom" });
    expect(tasks.map((t) => t.id)).toEqual([inTitle.id, inDescription.id]);
  });

  it("finds a typo by similar spelling when the words find nothing, and says so", async () => {
    const { ctx } = await setup();
    const dentist = (await call(addTask, ctx, { title: "Dentist appointment" })).task;
    const teeth = (await call(addTask, ctx, { title: "Errands", description: "see the dentist" })).task;
    await call(addTask, ctx, { title: "Buy milk" });
    const answer = await call(searchTasks, ctx, { query: "dentst" });
    expect(answer.tasks.map((t) => t.id)).toEqual([dentist.id, teeth.id]);
    expect(answer.nextCursor).toBeNull();
    expect(answer.warnings).toEqual([
      expect.stringMatching(/^No task has the words "dentst"; these have words spelt like them/),
    ]);
    // Words that match exactly give no warning; nothing alike is still nothing.
    expect((await call(searchTasks, ctx, { query: "dentist" })).warnings).toBeUndefined();
    expect((await call(searchTasks, ctx, { query: "xylophone" })).tasks).toEqual([]);
  });
});
