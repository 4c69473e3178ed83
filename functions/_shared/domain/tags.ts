/**
 * Tags: a task carries up to 10 (`task-tags.ts`). Deleting a tag takes it off every task (the foreign key
 * cascades on task_tags).
 *
 * Renaming or deleting a tag emits no task events and leaves tasks' `version` alone, for the reason given
 * in `categories.ts`: a tag's name is the user's vocabulary, no consumer of task events reads it, and one
 * rename must not fan out into an event per tagged task.
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

export const MAX_TAGS = 100;
export const MAX_TAG_NAME = 30;

export const TagSchema = LabelSchema;
export type Tag = v.InferOutput<typeof TagSchema>;

export const TAG: LabelKind = {
  kind: "tag",
  table: "tags",
  plural: "tags",
  maxName: MAX_TAG_NAME,
  maxPerUser: MAX_TAGS,
  async countTasks(db, userId, ids) {
    if (ids.length === 0) return new Map();
    // task_tags is indexed by tag, and a row exists only for the tag owner's tasks (composite keys).
    const rows = await db<{ id: string; count: number }[]>`
      select tag_id as id, count(*)::int as count from task_tags
      where user_id = ${userId} and tag_id = any(${ids as string[]}::uuid[])
      group by tag_id`;
    return new Map(rows.map((row) => [row.id, row.count]));
  },
};

export const createTag = (ctx: DomainContext, input: { name: string; color?: string | null | undefined }) =>
  createLabel(TAG, ctx, input);

export async function listTags(
  ctx: DomainContext,
  page: { limit?: number | undefined; cursor?: string | undefined },
) {
  const { items, nextCursor } = await listLabels(TAG, ctx, page);
  return { tags: items, nextCursor };
}

export const updateTag = (ctx: DomainContext, id: string, changes: LabelChanges) =>
  updateLabel(TAG, ctx, id, changes);

export const deleteTag = (ctx: DomainContext, id: string) => deleteLabel(TAG, ctx, id);
