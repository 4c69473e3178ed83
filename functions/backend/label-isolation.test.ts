/**
 * Every category and tag tool, called as user B with user A's ids, finds nothing and changes nothing:
 * A's objects answer exactly as missing ones do, and A's rows and the outbox are untouched.
 */
import { expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, insertTask, insertUser, tagTask } from "../../test/support/label-fixtures.js";
import addTagToTask from "./add_tag_to_task.tool.js";
import createCategory from "./create_category.tool.js";
import createTag from "./create_tag.tool.js";
import deleteCategory from "./delete_category.tool.js";
import deleteTag from "./delete_tag.tool.js";
import listCategories from "./list_categories.tool.js";
import listTags from "./list_tags.tool.js";
import removeTagFromTask from "./remove_tag_from_task.tool.js";
import updateCategory from "./update_category.tool.js";
import updateTag from "./update_tag.tool.js";

const db = useTestDb("tool-label-isolation");

it("user B can neither see nor change user A's categories, tags or task tags", async () => {
  const a = contextFor(db.sql, await insertUser(db.sql));
  const b = contextFor(db.sql, await insertUser(db.sql));
  const category = await call(createCategory, a, { name: "Work", color: "#123456" });
  const tag = await call(createTag, a, { name: "urgent" });
  const task = await insertTask(db.sql, a.user, { categoryId: category.id });
  await tagTask(db.sql, a.user, task, [tag.id]);
  const bTask = await insertTask(db.sql, b.user);
  const bTag = await call(createTag, b, { name: "mine" });

  const snapshot = async () => ({
    categories: await db.sql`select * from categories where user_id = ${a.user.id}`,
    tags: await db.sql`select * from tags where user_id = ${a.user.id}`,
    taskTags: await db.sql`select * from task_tags where user_id = ${a.user.id}`,
    tasks: await db.sql`select id, category_id, version, updated_at from tasks where user_id = ${a.user.id}`,
    outbox: await db.sql`select id from outbox`,
  });
  const before = await snapshot();

  const missing = "00000000-0000-0000-0000-000000000000";
  const attempts: Array<[string, () => Promise<unknown>, string]> = [
    [
      "update_category",
      () => call(updateCategory, b, { category_id: category.id, name: "Hacked" }),
      "CATEGORY",
    ],
    ["delete_category", () => call(deleteCategory, b, { category_id: category.id }), "CATEGORY"],
    ["update_tag", () => call(updateTag, b, { tag_id: tag.id, clear: ["color"] }), "TAG"],
    ["delete_tag", () => call(deleteTag, b, { tag_id: tag.id }), "TAG"],
    ["add A's tag to B's task", () => call(addTagToTask, b, { task_id: bTask, tag_id: tag.id }), "TAG"],
    ["add B's tag to A's task", () => call(addTagToTask, b, { task_id: task, tag_id: bTag.id }), "TASK"],
    [
      "remove A's tag from A's task",
      () => call(removeTagFromTask, b, { task_id: task, tag_id: tag.id }),
      "TASK",
    ],
    [
      "remove A's tag from B's task",
      () => call(removeTagFromTask, b, { task_id: bTask, tag_id: tag.id }),
      "TAG",
    ],
  ];
  for (const [what, attempt, kind] of attempts) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, what).toMatchObject({ code: `${kind}_NOT_FOUND` });
    // The same answer, word for word, as for an id that never existed.
    const id = kind === "CATEGORY" ? category.id : kind === "TAG" ? tag.id : task;
    expect((error as Error).message.replace(id, missing), what).toBe(
      `No ${kind.toLowerCase()} with id ${missing} exists for you.`,
    );
  }

  expect((await call(listCategories, b, {})).categories).toEqual([]);
  expect((await call(listTags, b, {})).tags.map((t) => t.name)).toEqual(["mine"]);
  // A's names are A's: B may use them, and A's counts do not see B's tasks.
  await call(createCategory, b, { name: "work" });
  await call(createTag, b, { name: "URGENT" });
  expect((await call(listCategories, a, {})).categories).toMatchObject([{ name: "Work", task_count: 1 }]);
  expect((await call(listTags, a, {})).tags).toMatchObject([{ name: "urgent", task_count: 1 }]);

  expect(await snapshot()).toEqual(before);
});
