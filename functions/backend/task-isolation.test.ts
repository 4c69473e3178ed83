/**
 * Every task and reminder tool, called as user B with user A's ids: B finds nothing, changes nothing,
 * and cannot tell A's objects from missing ones (same code, same sentence as for a random id).
 */
import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, expectCode, hoursFromNow, insertUser } from "../../test/support/task-fixtures.js";
import addTask from "./add_task.tool.js";
import addTasks from "./add_tasks.tool.js";
import cancelReminder from "./cancel_reminder.tool.js";
import completeTask from "./complete_task.tool.js";
import deleteTask from "./delete_task.tool.js";
import getTask from "./get_task.tool.js";
import listReminders from "./list_reminders.tool.js";
import listTasks from "./list_tasks.tool.js";
import searchTasks from "./search_tasks.tool.js";
import setReminder from "./set_reminder.tool.js";
import uncompleteTask from "./uncomplete_task.tool.js";
import updateTask from "./update_task.tool.js";

const db = useTestDb("task_isolation");

const snapshot = async (userId: string) => ({
  tasks: await db.sql`select * from tasks where user_id = ${userId} order by id`,
  reminders: await db.sql`select * from reminders where user_id = ${userId} order by id`,
  tags: await db.sql`select * from task_tags where user_id = ${userId} order by task_id, tag_id`,
  outbox: await db.sql`select id from outbox order by seq`,
});

describe("task and reminder tools across users", () => {
  it("show user B nothing of user A's and change nothing of it", async () => {
    const alice = await insertUser(db.sql);
    const a = contextFor(db.sql, alice);
    const [category] = await db.sql<{ id: string }[]>`
      insert into categories (user_id, name) values (${alice.id}, 'Private') returning id`;
    const [tag] = await db.sql<
      { id: string }[]
    >`insert into tags (user_id, name) values (${alice.id}, 'secret') returning id`;
    const categoryId = category?.id as string;
    const tagId = tag?.id as string;
    const { task } = await call(addTask, a, {
      title: "Alice's secret plan",
      due_date: hoursFromNow(30),
      category_id: categoryId,
      tag_ids: [tagId],
      recurrence_rule: "FREQ=WEEKLY",
    });
    const { task: done } = await call(addTask, a, { title: "Alice's done plan" });
    await call(completeTask, a, { task_id: done.id });
    const { reminder } = await call(setReminder, a, { task_id: task.id, remind_at: hoursFromNow(2) });

    const bob = await insertUser(db.sql);
    const b = contextFor(db.sql, bob);
    const { task: own } = await call(addTask, b, { title: "Bob's plan" });
    const before = await snapshot(alice.id);

    const missing = crypto.randomUUID();
    const sameAsMissing = async (run: (id: string) => Promise<unknown>, id: string, code: string) => {
      const foreign = await expectCode(run(id), code);
      const absent = await expectCode(run(missing), code);
      expect(foreign.message.replace(id, "<id>")).toBe(absent.message.replace(missing, "<id>"));
    };
    const NOT_FOUND = "TASK_NOT_FOUND";
    await sameAsMissing((id) => call(getTask, b, { task_id: id }), task.id, NOT_FOUND);
    await sameAsMissing((id) => call(updateTask, b, { task_id: id, title: "Mine now" }), task.id, NOT_FOUND);
    await sameAsMissing((id) => call(completeTask, b, { task_id: id }), task.id, NOT_FOUND);
    await sameAsMissing((id) => call(uncompleteTask, b, { task_id: id }), done.id, NOT_FOUND);
    await sameAsMissing((id) => call(deleteTask, b, { task_id: id }), task.id, NOT_FOUND);
    await sameAsMissing((id) => call(setReminder, b, { task_id: id, minutes_before: 5 }), task.id, NOT_FOUND);
    await sameAsMissing((id) => call(listReminders, b, { task_id: id }), task.id, NOT_FOUND);
    await sameAsMissing(
      (id) => call(cancelReminder, b, { reminder_id: id }),
      reminder.id,
      "REMINDER_NOT_FOUND",
    );
    await sameAsMissing(
      (id) => call(addTask, b, { title: "x", category_id: id }),
      categoryId,
      "CATEGORY_NOT_FOUND",
    );
    await sameAsMissing((id) => call(addTask, b, { title: "x", tag_ids: [id] }), tagId, "TAG_NOT_FOUND");
    await sameAsMissing(
      (id) => call(updateTask, b, { task_id: own.id, category_id: id }),
      categoryId,
      "CATEGORY_NOT_FOUND",
    );
    await sameAsMissing(
      (id) => call(updateTask, b, { task_id: own.id, tag_ids: [id] }),
      tagId,
      "TAG_NOT_FOUND",
    );
    const batch = await call(addTasks, b, {
      tasks: [
        { title: "y", category_id: categoryId },
        { title: "z", tag_ids: [tagId] },
      ],
    });
    expect(batch.failures.map((f) => f.code)).toEqual(["CATEGORY_NOT_FOUND", "TAG_NOT_FOUND"]);

    const listed = await call(listTasks, b, { limit: 100 });
    expect(listed.tasks.map((t) => t.id)).toEqual([own.id]);
    expect((await call(listTasks, b, { category_id: categoryId })).tasks).toEqual([]);
    expect((await call(listTasks, b, { tag_ids: [tagId] })).tasks).toEqual([]);
    expect((await call(listTasks, b, { status: "completed" })).tasks).toEqual([]);
    expect((await call(searchTasks, b, { query: "secret plan" })).tasks).toEqual([]);
    expect((await call(listReminders, b, {})).reminders).toEqual([]);

    expect(await snapshot(alice.id)).toEqual(before);
    // A still sees all of it.
    expect((await call(searchTasks, a, { query: "plan" })).tasks.map((t) => t.id).sort()).toEqual(
      [task.id, done.id].sort(),
    );
  });
});
