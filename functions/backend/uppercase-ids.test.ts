/**
 * Ids are UUIDs, and a UUID in upper case is the same id: every tool that takes one must find the object
 * and answer with the id as Postgres spells it (lower case), with no spurious change or event.
 */
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, eventsFor, hoursFromNow, insertUser } from "../../test/support/task-fixtures.js";
import addTagToTask from "./add_tag_to_task.tool.js";
import addTask from "./add_task.tool.js";
import addTasks from "./add_tasks.tool.js";
import cancelReminder from "./cancel_reminder.tool.js";
import completeTask from "./complete_task.tool.js";
import createCategory from "./create_category.tool.js";
import createTag from "./create_tag.tool.js";
import deleteCategory from "./delete_category.tool.js";
import deleteTag from "./delete_tag.tool.js";
import deleteTask from "./delete_task.tool.js";
import getTask from "./get_task.tool.js";
import listReminders from "./list_reminders.tool.js";
import listTasks from "./list_tasks.tool.js";
import removeTagFromTask from "./remove_tag_from_task.tool.js";
import setReminder from "./set_reminder.tool.js";
import uncompleteTask from "./uncomplete_task.tool.js";
import updateCategory from "./update_category.tool.js";
import updateTag from "./update_tag.tool.js";
import updateTask from "./update_task.tool.js";

const db = useTestDb("uppercase-ids");
const up = (id: string) => id.toUpperCase();

it("takes upper-case ids in every tool and answers with lower-case ones", async () => {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const category = await call(createCategory, ctx, { name: "Home" });
  const [a, b] = [
    (await call(createTag, ctx, { name: "a" })).id,
    (await call(createTag, ctx, { name: "b" })).id,
  ];
  const { task } = await call(addTask, ctx, {
    title: "Paint",
    due_date: hoursFromNow(24),
    category_id: up(category.id),
    tag_ids: [up(a as string), a as string],
  });
  expect(task.category?.id).toBe(category.id);
  expect(task.tags.map((tag) => tag.id)).toEqual([a]);
  const batch = await call(addTasks, ctx, { tasks: [{ title: "Too", category_id: up(category.id) }] });
  expect(batch.failures).toEqual([]);

  expect((await call(getTask, ctx, { task_id: up(task.id) })).task).toEqual(task);
  const same = await call(updateTask, ctx, {
    task_id: up(task.id),
    category_id: up(category.id),
    tag_ids: [up(a as string)],
  });
  expect(same.task).toEqual(task);
  expect(await eventsFor(db.sql, task.id)).toHaveLength(1);

  const tagged = await call(addTagToTask, ctx, { task_id: up(task.id), tag_id: up(b as string) });
  expect(tagged.task.tags.map((tag) => tag.id)).toEqual([a, b]);
  expect(tagged.task.id).toBe(task.id);
  const untagged = await call(removeTagFromTask, ctx, { task_id: up(task.id), tag_id: up(b as string) });
  expect(untagged.task.tags.map((tag) => tag.id)).toEqual([a]);

  const listed = await call(listTasks, ctx, { category_id: up(category.id), tag_ids: [up(a as string)] });
  expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);

  const { reminder } = await call(setReminder, ctx, { task_id: up(task.id), minutes_before: 15 });
  expect(reminder.task_id).toBe(task.id);
  const reminders = await call(listReminders, ctx, { task_id: up(task.id), limit: 1 });
  expect(reminders.reminders).toHaveLength(1);
  const next = await call(listReminders, ctx, {
    task_id: up(task.id),
    limit: 1,
    cursor: reminders.nextCursor as string,
  });
  expect(next.reminders).toHaveLength(1);
  expect((await call(cancelReminder, ctx, { reminder_id: up(reminder.id) })).reminder.id).toBe(reminder.id);

  expect((await call(completeTask, ctx, { task_id: up(task.id) })).task.completed).toBe(true);
  expect((await call(uncompleteTask, ctx, { task_id: up(task.id) })).task.completed).toBe(false);

  expect((await call(updateTag, ctx, { tag_id: up(b as string), name: "bee" })).id).toBe(b);
  expect((await call(updateCategory, ctx, { category_id: up(category.id), name: "House" })).id).toBe(
    category.id,
  );
  expect((await call(deleteTag, ctx, { tag_id: up(b as string) })).id).toBe(b);
  expect((await call(deleteCategory, ctx, { category_id: up(category.id) })).id).toBe(category.id);
  expect((await call(deleteTask, ctx, { task_id: up(task.id) })).task.id).toBe(task.id);
});
