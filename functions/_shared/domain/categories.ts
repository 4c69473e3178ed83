/**
 * Categories: each task has at most one. Deleting a category leaves its tasks uncategorised (the foreign
 * key's `on delete set null`), never deletes them.
 *
 * Renaming or deleting a category emits no task events and leaves tasks' `version` alone, although their
 * task objects now read differently: a category is the user's vocabulary, not a task's state, and no
 * consumer of task events (reminders, recurrence) reads it. One rename would otherwise fan out into an event
 * per task, turning a one-row write into one that grows with the user's tasks.
 */
import type * as v from "valibot";
import type { DomainContext } from "./context.js";
import {
  createLabel,
  deleteLabel,
  type LabelChanges,
  type LabelKind,
  LabelSchema,
  listLabels,
  updateLabel,
} from "./labels.js";

export const MAX_CATEGORIES = 50;
export const MAX_CATEGORY_NAME = 50;

export const CategorySchema = LabelSchema;
export type Category = v.InferOutput<typeof CategorySchema>;

export const CATEGORY: LabelKind = {
  kind: "category",
  table: "categories",
  plural: "categories",
  maxName: MAX_CATEGORY_NAME,
  maxPerUser: MAX_CATEGORIES,
  async countTasks(db, userId, ids) {
    if (ids.length === 0) return new Map();
    // One pass over the user's tasks for the whole page, rather than one per category.
    const rows = await db<{ id: string; count: number }[]>`
      select category_id as id, count(*)::int as count from tasks
      where user_id = ${userId} and category_id = any(${ids as string[]}::uuid[])
      group by category_id`;
    return new Map(rows.map((row) => [row.id, row.count]));
  },
};

export const createCategory = (
  ctx: DomainContext,
  input: { name: string; color?: string | null | undefined },
) => createLabel(CATEGORY, ctx, input);

export async function listCategories(
  ctx: DomainContext,
  page: { limit?: number | undefined; cursor?: string | undefined },
) {
  const { items, nextCursor } = await listLabels(CATEGORY, ctx, page);
  return { categories: items, nextCursor };
}

export const updateCategory = (ctx: DomainContext, id: string, changes: LabelChanges) =>
  updateLabel(CATEGORY, ctx, id, changes);

export const deleteCategory = (ctx: DomainContext, id: string) => deleteLabel(CATEGORY, ctx, id);
